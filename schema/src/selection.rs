//! Field sets (`@key`, `@requires`, `@provides` and `join__FieldSet` strings) as small selection
//! trees: parsed without a schema, so that keys can be compared whatever their spacing and order,
//! and the supergraph's join data can be walked. The strings were validated against their
//! subgraph before they get here, so parsing is lenient: arguments, aliases and directive
//! applications are skipped, not checked.

/// One selection of a field set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Selected {
    /// A field (by name, not alias) with its sub-selection (empty for leaves).
    Field { name: String, sub: Vec<Selected> },
    /// An inline fragment, with its type condition when it has one.
    Fragment {
        on: Option<String>,
        sub: Vec<Selected>,
    },
}

/// Parses a field set. Returns `None` when the text is not a selection set at all.
pub(crate) fn parse(text: &str) -> Option<Vec<Selected>> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
    };
    let set = parser.selection_set()?;
    (parser.at == tokens.len()).then_some(set)
}

/// The selection with every level sorted, so that two keys selecting the same fields in a
/// different order compare equal.
pub(crate) fn normalized(mut set: Vec<Selected>) -> Vec<Selected> {
    for item in &mut set {
        match item {
            Selected::Field { sub, .. } | Selected::Fragment { sub, .. } => {
                *sub = normalized(std::mem::take(sub));
            }
        }
    }
    set.sort();
    set.dedup();
    set
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(String),
    Punctuator(char),
    Spread,
    /// A string or number inside arguments; its value never matters here.
    Literal,
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => {}
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            }
            '.' => {
                if chars.next() != Some('.') || chars.next() != Some('.') {
                    return None;
                }
                tokens.push(Token::Spread);
            }
            '"' => {
                let mut escaped = false;
                let mut closed = false;
                for c in chars.by_ref() {
                    match (escaped, c) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return None;
                }
                tokens.push(Token::Literal);
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' {
                        name.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Name(name));
            }
            c if c.is_ascii_digit() || c == '-' => {
                while chars
                    .peek()
                    .is_some_and(|next| next.is_ascii_alphanumeric() || *next == '.')
                {
                    chars.next();
                }
                tokens.push(Token::Literal);
            }
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | '@' | '$' | '!' | '=' => {
                tokens.push(Token::Punctuator(c))
            }
            _ => return None,
        }
    }
    Some(tokens)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, punctuator: char) -> bool {
        if self.peek() == Some(&Token::Punctuator(punctuator)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Option<String> {
        match self.peek() {
            Some(Token::Name(name)) => {
                let name = name.clone();
                self.at += 1;
                Some(name)
            }
            _ => None,
        }
    }

    /// Items until a closing `}` or the end.
    fn selection_set(&mut self) -> Option<Vec<Selected>> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(Token::Punctuator('}')) => return Some(items),
                Some(Token::Spread) => {
                    self.at += 1;
                    let on = if self.peek() == Some(&Token::Name("on".to_owned())) {
                        self.at += 1;
                        Some(self.name()?)
                    } else {
                        None
                    };
                    self.directives()?;
                    let sub = self.braced()?;
                    items.push(Selected::Fragment { on, sub });
                }
                Some(Token::Name(_)) => {
                    let mut name = self.name()?;
                    if self.eat(':') {
                        name = self.name()?;
                    }
                    if self.peek() == Some(&Token::Punctuator('(')) {
                        self.skip_balanced()?;
                    }
                    self.directives()?;
                    let sub = if self.peek() == Some(&Token::Punctuator('{')) {
                        self.braced()?
                    } else {
                        Vec::new()
                    };
                    items.push(Selected::Field { name, sub });
                }
                Some(_) => return None,
            }
        }
    }

    fn braced(&mut self) -> Option<Vec<Selected>> {
        if !self.eat('{') {
            return None;
        }
        let set = self.selection_set()?;
        self.eat('}').then_some(set)
    }

    fn directives(&mut self) -> Option<()> {
        while self.eat('@') {
            self.name()?;
            if self.peek() == Some(&Token::Punctuator('(')) {
                self.skip_balanced()?;
            }
        }
        Some(())
    }

    /// Skips `( ... )` with whatever nesting of brackets it contains.
    fn skip_balanced(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let token = self.peek()?.clone();
            self.at += 1;
            match token {
                Token::Punctuator('(' | '[' | '{') => depth += 1,
                Token::Punctuator(')' | ']' | '}') => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(());
                    }
                }
                _ => {}
            }
        }
    }
}
