//! Texts shown to a person, as keys with arguments: the web layer writes
//! them in the request's language from its Fluent files
//! (`crates/web/locales/*/sesame.ftl`). The rules that find what is wrong
//! (here, in `sesame-service`) say which message, never in which words.

/// A text for a person: the key of its Fluent message and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The Fluent key (`erreur-identifiant-format`…).
    pub key: &'static str,
    /// The named arguments, in order.
    pub args: Vec<(&'static str, Arg)>,
}

/// An argument of a [`Message`]: text as it is (a number, an address), or
/// another message written in the same language first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text as it is.
    Text(String),
    /// A message, written before being passed.
    Message(Message),
}

impl Message {
    /// The message `key` without arguments.
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    /// With the argument `name` set to `value`.
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// With the argument `name` set to another message.
    pub fn with_message(mut self, name: &'static str, value: Message) -> Self {
        self.args.push((name, Arg::Message(value)));
        self
    }
}

impl From<&'static str> for Message {
    fn from(key: &'static str) -> Self {
        Self::new(key)
    }
}

impl crate::password::PasswordProblem {
    /// The message of this problem (its French text is its `Display`).
    pub fn message(&self) -> Message {
        use crate::password::PasswordProblem::*;
        match self {
            TooShort(n) => Message::new("mdp-trop-court").with("nombre", n),
            TooLong => Message::new("mdp-trop-long"),
            LettersAndDigits => Message::new("mdp-lettres-chiffres"),
            Weak => Message::new("mdp-faible"),
            Common => Message::new("mdp-courant"),
            Guessable => Message::new("mdp-devinable"),
            Personal => Message::new("mdp-personnel"),
        }
    }
}

impl crate::code::CodeError {
    /// The message of this error (its French text is its `Display`).
    pub fn message(&self) -> Message {
        match self {
            crate::code::CodeError::Length => Message::new("code-longueur"),
            crate::code::CodeError::Character => Message::new("code-caracteres"),
        }
    }
}
