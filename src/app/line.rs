//! `LineInput`: the text of an input line (search bar, command line) and its cursor, with
//! the editing operations of a shell's line editor. Pure; positions are byte offsets that
//! always sit on a character boundary.

/// An input line and its cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Byte offset of the cursor, on a character boundary.
    cursor: usize,
}

impl LineInput {
    /// A line holding `text`, the cursor at its end.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.len();
        Self { text, cursor }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor's byte offset.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The cursor's position in characters (for drawing).
    pub fn cursor_chars(&self) -> usize {
        self.text[..self.cursor].chars().count()
    }

    /// Replaces the text; the cursor goes to its end.
    pub fn set(&mut self, text: impl Into<String>) {
        *self = Self::new(text);
    }

    /// Empties the line.
    pub fn clear(&mut self) {
        self.set(String::new());
    }

    /// Types `c` at the cursor.
    pub fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    /// Types `s` at the cursor.
    pub fn insert_str(&mut self, s: &str) {
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
    }

    /// Replaces the bytes `start..self.cursor()` with `s`; the cursor ends after it.
    pub(crate) fn replace_before_cursor(&mut self, start: usize, s: &str) {
        let start = start.min(self.cursor);
        if !self.text.is_char_boundary(start) {
            return;
        }
        self.text.replace_range(start..self.cursor, s);
        self.cursor = start + s.len();
    }

    fn prev_boundary(&self) -> Option<usize> {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map(|(i, _)| i)
    }

    fn next_boundary(&self) -> Option<usize> {
        self.text[self.cursor..]
            .chars()
            .next()
            .map(|c| self.cursor + c.len_utf8())
    }

    /// Deletes the character before the cursor. False when there is none.
    pub(crate) fn backspace(&mut self) -> bool {
        let Some(i) = self.prev_boundary() else {
            return false;
        };
        self.text.replace_range(i..self.cursor, "");
        self.cursor = i;
        true
    }

    /// Deletes the character under the cursor. False when there is none.
    pub fn delete(&mut self) -> bool {
        let Some(j) = self.next_boundary() else {
            return false;
        };
        self.text.replace_range(self.cursor..j, "");
        true
    }

    /// Moves left one character.
    pub fn left(&mut self) {
        if let Some(i) = self.prev_boundary() {
            self.cursor = i;
        }
    }

    /// Moves right one character.
    pub fn right(&mut self) {
        if let Some(j) = self.next_boundary() {
            self.cursor = j;
        }
    }

    /// To the start of the line.
    pub fn home(&mut self) {
        self.cursor = 0;
    }

    /// To the end of the line.
    pub fn end(&mut self) {
        self.cursor = self.text.len();
    }

    /// Deletes the word before the cursor (and the blanks after it), as Ctrl-W does in a
    /// shell. False when nothing was deleted.
    pub(crate) fn delete_word(&mut self) -> bool {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end();
        let start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        if start == self.cursor {
            return false;
        }
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
        true
    }

    /// Deletes everything before the cursor, as Ctrl-U does in a shell. False when nothing
    /// was deleted.
    pub(crate) fn kill_to_start(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.text.replace_range(..self.cursor, "");
        self.cursor = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor_like_a_shell_line_editor() {
        let mut l = LineInput::new("actor.id:bob");
        l.home();
        l.insert_str("(");
        l.end();
        l.insert(')');
        assert_eq!(l.text(), "(actor.id:bob)");
        l.left();
        l.left();
        assert!(l.backspace());
        assert_eq!(l.text(), "(actor.id:bb)");
        assert!(l.delete());
        assert_eq!(l.text(), "(actor.id:b)");
        l.end();
        l.insert_str(" AND  sev");
        assert!(l.delete_word());
        assert_eq!(l.text(), "(actor.id:b) AND  ");
        assert!(l.delete_word());
        assert_eq!(l.text(), "(actor.id:b) ");
        l.left();
        l.left();
        assert!(l.kill_to_start());
        assert_eq!((l.text(), l.cursor()), (") ", 0));
        assert!(!l.kill_to_start());
        assert!(!l.backspace());
    }

    #[test]
    fn multibyte_text_keeps_the_cursor_on_character_boundaries() {
        let mut l = LineInput::new("é✓x");
        l.left();
        l.left();
        assert_eq!(l.cursor_chars(), 1);
        assert!(l.backspace());
        assert_eq!(l.text(), "✓x");
        l.right();
        l.right();
        l.right();
        assert_eq!(l.cursor(), l.text().len());
        assert!(!l.delete());
        l.replace_before_cursor(0, "ab");
        assert_eq!((l.text(), l.cursor()), ("ab", 2));
    }
}
