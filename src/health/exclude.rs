//! The names a request leaves out of a check (`?exclude=NAME`), and which of
//! them named something, for the warning about those that did not.

/// At most this many names are excluded in one request.
pub(crate) const MAX_EXCLUDES: usize = 16;

#[derive(Debug)]
pub(crate) struct Excludes<'n> {
    names: &'n [&'n str],
    /// Bit `i` is set once `names[i]` matched a probe or a built-in state.
    matched: u32,
}

impl<'n> Excludes<'n> {
    /// The first `MAX_EXCLUDES` of `names`.
    pub(crate) fn new(names: &'n [&'n str]) -> Excludes<'n> {
        Excludes { names: &names[..names.len().min(MAX_EXCLUDES)], matched: 0 }
    }

    pub(crate) fn none() -> Excludes<'static> {
        Excludes { names: &[], matched: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether `name` is excluded; the names equal to it count as matched.
    pub(crate) fn hit(&mut self, name: &str) -> bool {
        let mut hit = false;
        for (i, e) in self.names.iter().enumerate() {
            if *e == name {
                self.matched |= 1 << i;
                hit = true;
            }
        }
        hit
    }

    /// The names that matched nothing so far, in request order.
    pub(crate) fn unmatched(&self) -> impl Iterator<Item = &'n str> + '_ {
        self.names.iter().enumerate().filter(|(i, _)| self.matched & (1 << i) == 0).map(|(_, e)| *e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_and_unmatched() {
        let names = ["a", "b", "a", "c"];
        let mut ex = Excludes::new(&names);
        assert!(!ex.is_empty());
        assert!(ex.hit("a"));
        assert!(!ex.hit("z"));
        assert_eq!(ex.unmatched().collect::<Vec<_>>(), ["b", "c"]);
        assert!(Excludes::none().is_empty());
        let many = ["x"; MAX_EXCLUDES + 4];
        assert_eq!(Excludes::new(&many).unmatched().count(), MAX_EXCLUDES);
    }
}
