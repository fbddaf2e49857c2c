//! The people and services of the story, and how they appear as actors and artefacts.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) struct User {
    pub(super) id: &'static str,
    pub(super) roles: &'static [&'static str],
    pub(super) ip: &'static str,
}

pub(super) const USERS: &[User] = &[
    User {
        id: "alice",
        roles: &["ml-engineer"],
        ip: "10.20.1.11",
    },
    User {
        id: "bob",
        roles: &["data-scientist"],
        ip: "10.20.1.12",
    },
    User {
        id: "carol",
        roles: &["ml-lead", "approver"],
        ip: "10.20.1.13",
    },
    User {
        id: "dave",
        roles: &["analyst"],
        ip: "10.20.2.14",
    },
    User {
        id: "erin",
        roles: &["sre", "admin"],
        ip: "10.20.3.15",
    },
    User {
        id: "frank",
        roles: &["data-engineer"],
        ip: "10.20.2.16",
    },
];

pub(super) fn user(id: &str) -> &'static User {
    USERS
        .iter()
        .find(|u| u.id == id)
        .expect("invariant: story users are constants")
}

pub(super) fn user_actor(id: &str) -> Value {
    let u = user(id);
    json!({"id": u.id, "type": "user", "roles": u.roles, "ip": u.ip, "session": format!("sess-{}", u.id)})
}

pub(super) fn service_actor(id: &str) -> Value {
    let ip = match id {
        "svc-pipeline" => "10.0.1.5",
        "svc-serving" => "10.0.2.5",
        _ => "10.0.3.5",
    };
    json!({"id": id, "type": "service", "roles": ["service"], "ip": ip})
}

pub(super) fn actor(id: &str) -> Value {
    if id.starts_with("svc-") {
        service_actor(id)
    } else {
        user_actor(id)
    }
}

pub(super) fn art(kind: &str, id: &str, version: Option<&str>) -> Value {
    match version {
        Some(v) => json!({"type": kind, "id": id, "version": v}),
        None => json!({"type": kind, "id": id}),
    }
}
