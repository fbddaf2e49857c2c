//! `Dense`: values attached to some nodes of the graph being built, found by node index.

/// Values attached to some nodes, found by node index without hashing.
pub(super) struct Dense<V> {
    slot: Vec<u32>,
    items: Vec<(u32, V)>,
}

impl<V> Default for Dense<V> {
    fn default() -> Self {
        Self {
            slot: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<V> Dense<V> {
    pub(super) fn position(&self, node: u32) -> Option<usize> {
        self.slot
            .get(node as usize)
            .copied()
            .filter(|&s| s != u32::MAX)
            .map(|s| s as usize)
    }

    pub(super) fn contains(&self, node: u32) -> bool {
        self.position(node).is_some()
    }

    pub(super) fn get_mut(&mut self, node: u32) -> Option<&mut V> {
        let p = self.position(node)?;
        Some(&mut self.items[p].1)
    }

    pub(super) fn get_or_insert_with(&mut self, node: u32, make: impl FnOnce() -> V) -> &mut V {
        let p = self.position(node).unwrap_or_else(|| {
            if self.slot.len() <= node as usize {
                self.slot.resize(node as usize + 1, u32::MAX);
            }
            self.slot[node as usize] = self.items.len() as u32;
            self.items.push((node, make()));
            self.items.len() - 1
        });
        &mut self.items[p].1
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    pub(super) fn into_values(self) -> impl Iterator<Item = V> {
        self.items.into_iter().map(|(_, v)| v)
    }
}
