//! RFC 6962 Merkle tree hash (MTH) over stored record hashes: the leaves are the record hashes
//! themselves (already `SHA-256(0x00 || rec)`), a node is `SHA-256(0x01 || left || right)`, the
//! tree splits at the largest power of two smaller than n, and the empty root is `SHA-256("")`.
//! Built incrementally in O(log n) memory.

use sha2::{Digest, Sha256};

use super::digest::{Digest32, sha256};

/// `SHA-256(0x01 || left || right)`.
pub(crate) fn node_hash(left: &Digest32, right: &Digest32) -> Digest32 {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Digest32(h.finalize().into())
}

/// An incremental MTH: push leaves in order, then take the root.
#[derive(Debug, Clone, Default)]
pub struct MerkleBuilder {
    /// Complete subtrees, left to right, by strictly decreasing size: (height, root).
    stack: Vec<(u32, Digest32)>,
    leaves: u64,
}

impl MerkleBuilder {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf (a stored record hash).
    pub fn push(&mut self, leaf: Digest32) {
        self.leaves += 1;
        let mut cur = (0u32, leaf);
        while let Some(&(h, left)) = self.stack.last() {
            if h != cur.0 {
                break;
            }
            self.stack.pop();
            cur = (h + 1, node_hash(&left, &cur.1));
        }
        self.stack.push(cur);
    }

    /// Leaves so far.
    pub fn len(&self) -> u64 {
        self.leaves
    }

    /// Whether no leaf was pushed.
    pub fn is_empty(&self) -> bool {
        self.leaves == 0
    }

    /// The RFC 6962 root of the leaves so far.
    pub fn root(&self) -> Digest32 {
        let mut iter = self.stack.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return sha256(b"");
        };
        for (_, left) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// The root of `leaves`.
pub fn root(leaves: impl IntoIterator<Item = Digest32>) -> Digest32 {
    let mut b = MerkleBuilder::new();
    for l in leaves {
        b.push(l);
    }
    b.root()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::record_hash;

    /// Reference MTH straight from RFC 6962 section 2.1 (recursive split).
    fn mth(leaves: &[Digest32]) -> Digest32 {
        match leaves.len() {
            0 => sha256(b""),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// The inputs of the certificate-transparency Merkle test suite.
    fn ct_leaves() -> Vec<Digest32> {
        let inputs: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        inputs.iter().map(|d| record_hash(d)).collect()
    }

    #[test]
    fn rfc6962_known_answers() {
        let want = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_leaves();
        for (n, w) in want.iter().enumerate() {
            assert_eq!(
                root(leaves[..=n].iter().copied()).to_string(),
                *w,
                "{} leaves",
                n + 1
            );
        }
        assert_eq!(
            root(std::iter::empty()).to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn incremental_equals_recursive_for_many_sizes() {
        let leaves: Vec<Digest32> = (0u32..300).map(|i| sha256(&i.to_le_bytes())).collect();
        let mut b = MerkleBuilder::new();
        for (i, l) in leaves.iter().enumerate() {
            b.push(*l);
            assert_eq!(b.root(), mth(&leaves[..=i]), "{} leaves", i + 1);
        }
    }
}
