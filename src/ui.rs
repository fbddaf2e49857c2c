//! Rendering: turns `&AppState` into a frame. Never reads files, the clock or the index.
//! At 100x30 and larger the timeline, results and a side pane show together; on smaller
//! terminals (80x24) the panes collapse into tabs.
//!
//! Allowed imports: `app` (state types), `model`, `store` (hit and histogram types), ratatui;
//! `settings.rs` also `cli` and `config` (the user's files).

pub mod highlight;
mod keymap;
mod layout;
pub mod panes;
mod settings;
mod strings;
mod text;
mod theme;
mod views;

pub use keymap::{Binding, DEFAULT as DEFAULT_KEYMAP, Keymap};
pub(crate) use layout::areas;
pub use layout::{Areas, render};
pub use settings::UiSettings;
pub use strings::{ACTIONS, ActionInfo};
pub use text::{json_lines, truncate};
pub(crate) use theme::theme_for_colorfgbg;
pub use theme::{DARK as DARK_THEME, LIGHT as LIGHT_THEME, Theme};
pub use views::UiViews;
