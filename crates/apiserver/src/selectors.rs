//! Label and field selectors, as kube-apiserver parses, validates and matches them
//! (k8s.io/apimachinery `pkg/labels/selector.go` and `pkg/fields/selector.go`, plus the field
//! label conversion functions each API group registers).
//!
//! Error messages follow apimachinery's wording, so that clients (kubectl prints them verbatim)
//! see what they would see from a real cluster.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::resources::ResourceInfo;

// ---------------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------------

/// A label selector operator (`k8s.io/apimachinery/pkg/selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `k=v`
    Equals,
    /// `k==v`
    DoubleEquals,
    /// `k!=v`
    NotEquals,
    /// `k in (a,b)`
    In,
    /// `k notin (a,b)`
    NotIn,
    /// `k`
    Exists,
    /// `!k`
    DoesNotExist,
    /// `k>1`
    GreaterThan,
    /// `k<1`
    LessThan,
}

impl Operator {
    /// The operator's name as apimachinery spells it (`selection.Operator` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// The binary operators in the order apimachinery lists them in "expected:" messages.
const BINARY_OPERATORS: &str = "in, notin, =, ==, !=, gt, lt";

/// One requirement of a label selector: a key, an operator and (for most operators) values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds a validated requirement, like `labels.NewRequirement` (with no field path):
    /// the key must be a qualified name, the values valid label values, and the value count
    /// must fit the operator. Errors are aggregated as apimachinery does.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, String> {
        let mut errs: Vec<String> = Vec::new();
        let key_errs = label_key_errors(key);
        if !key_errs.is_empty() {
            errs.push(invalid_value("key", key, &key_errs.join("; ")));
        }
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "for 'in', 'notin' operators, values set can't be empty",
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "exact-match compatibility requires one single value",
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "values set must be empty for exists and does not exist",
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(invalid_value(
                            &format!("values[{i}]"),
                            v,
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let value_errs = label_value_errors(v);
            if !value_errs.is_empty() {
                errs.push(invalid_value(&format!("values[{i}][{key}]"), v, &value_errs.join("; ")));
            }
        }
        if errs.is_empty() {
            Ok(Requirement { key: key.to_string(), operator, values })
        } else {
            Err(aggregate(errs))
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, in the order given (sorted when parsed from a string).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, v: &str) -> bool {
        self.values.iter().any(|x| x == v)
    }

    /// Whether the labels seen through `lookup` satisfy this requirement.
    pub fn matches_lookup<'a>(&self, lookup: &dyn Fn(&str) -> Option<&'a str>) -> bool {
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                lookup(&self.key).is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => {
                lookup(&self.key).is_none_or(|v| !self.has_value(v))
            }
            Operator::Exists => lookup(&self.key).is_some(),
            Operator::DoesNotExist => lookup(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(have)) = lookup(&self.key).map(|v| v.parse::<i64>()) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (op, parens) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
        };
        f.write_str(op)?;
        if parens {
            f.write_str("(")?;
        }
        let mut values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        values.sort_unstable();
        f.write_str(&values.join(","))?;
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A parsed label selector: the AND of its requirements. The empty selector matches
/// everything; [`LabelSelector::nothing`] (a null `metav1.LabelSelector`) matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    /// The selector that matches no object (what a null `metav1.LabelSelector` converts to).
    pub fn nothing() -> Self {
        LabelSelector { requirements: Vec::new(), nothing: true }
    }

    /// Parses the string form (`labelSelector=` query parameter), with apimachinery's grammar
    /// and error messages. The empty string (or only whitespace) matches everything.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut parser = Parser::new(s);
        let mut requirements = parser.parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements, nothing: false })
    }

    /// Converts a `metav1.LabelSelector` (`{"matchLabels": {...}, "matchExpressions": [...]}`)
    /// like `metav1.LabelSelectorAsSelector`: null matches nothing, `{}` matches everything.
    pub fn from_label_selector_json(v: &Value) -> Result<LabelSelector, String> {
        let obj = match v {
            Value::Null => return Ok(LabelSelector::nothing()),
            Value::Object(o) => o,
            _ => return Err("a label selector must be an object".to_string()),
        };
        let mut requirements = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (k, v) in labels {
                    let v =
                        v.as_str().ok_or_else(|| format!("matchLabels[{k}] must be a string"))?;
                    requirements.push(Requirement::new(k, Operator::Equals, vec![v.to_string()])?);
                }
            }
            Some(_) => return Err("matchLabels must be an object".to_string()),
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for expr in exprs {
                    let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
                    let op_name = expr.get("operator").and_then(Value::as_str).unwrap_or_default();
                    let op = match op_name {
                        "In" => Operator::In,
                        "NotIn" => Operator::NotIn,
                        "Exists" => Operator::Exists,
                        "DoesNotExist" => Operator::DoesNotExist,
                        other => {
                            return Err(format!(
                                "{} is not a valid label selector operator",
                                go_quote(other)
                            ))
                        }
                    };
                    let values = match expr.get("values") {
                        None | Some(Value::Null) => Vec::new(),
                        Some(Value::Array(vals)) => vals
                            .iter()
                            .map(|v| {
                                v.as_str().map(str::to_string).ok_or_else(|| {
                                    "matchExpressions values must be strings".to_string()
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?,
                        Some(_) => {
                            return Err("matchExpressions values must be an array".to_string())
                        }
                    };
                    requirements.push(Requirement::new(key, op, values)?);
                }
            }
            Some(_) => return Err("matchExpressions must be an array".to_string()),
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements, nothing: false })
    }

    /// A selector requiring exactly the given labels (`labels.SelectorFromSet`, without
    /// validation), e.g. a Service's or ReplicationController's `spec.selector` map. Non-string
    /// values are skipped. An empty map matches everything.
    pub fn from_map(labels: &Map<String, Value>) -> LabelSelector {
        let mut requirements: Vec<Requirement> = labels
            .iter()
            .filter_map(|(k, v)| {
                v.as_str().map(|v| Requirement {
                    key: k.clone(),
                    operator: Operator::Equals,
                    values: vec![v.to_string()],
                })
            })
            .collect();
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector { requirements, nothing: false }
    }

    /// True when the selector does not restrict anything (matches every object).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// True for the selector that matches no object.
    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Matches an object's `metadata.labels` (None = no labels). Non-string label values are
    /// treated as absent.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        self.matches_lookup(&|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }

    /// Matches labels seen through an arbitrary lookup function.
    pub fn matches_lookup<'a>(&self, lookup: &dyn Fn(&str) -> Option<&'a str>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches_lookup(lookup))
    }

    /// Matches a whole object by its `metadata.labels`.
    pub fn matches_object(&self, obj: &Value) -> bool {
        self.matches(obj.get("metadata").and_then(|m| m.get("labels")).and_then(Value::as_object))
    }

    /// The single value the selector requires `key` to have (`=`, `==` or a one-value `in`),
    /// as `RequiresExactMatch`.
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

// --- lexer ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn literal_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    /// The next byte, or 0 at the end (a NUL byte also ends the input, as in Go).
    fn read(&mut self) -> u8 {
        if self.pos < self.s.len() {
            let b = self.s[self.pos];
            self.pos += 1;
            b
        } else {
            0
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn scan_id_or_keyword(&mut self) -> (Token, String) {
        let start = self.pos;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
        }
        let mut end = self.pos;
        // A NUL terminator was consumed but is not part of the identifier.
        if end > start && self.s.get(end - 1) == Some(&0) {
            end -= 1;
        }
        let bytes = &self.s[start..end];
        let lit = String::from_utf8_lossy(bytes).into_owned();
        match literal_token(bytes) {
            Some(t) => (t, lit),
            None => (Token::Identifier, lit),
        }
    }

    fn scan_special_symbol(&mut self) -> (Token, String) {
        let mut buf: Vec<u8> = Vec::new();
        let mut last: Option<(Token, String)> = None;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special(ch) {
                buf.push(ch);
                if let Some(t) = literal_token(&buf) {
                    last = Some((t, String::from_utf8_lossy(&buf).into_owned()));
                } else if last.is_some() {
                    self.unread();
                    break;
                }
            } else {
                self.unread();
                break;
            }
        }
        last.unwrap_or_else(|| {
            (
                Token::Error,
                format!("error expected: keyword found '{}'", String::from_utf8_lossy(&buf)),
            )
        })
    }

    fn lex(&mut self) -> (Token, String) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            (Token::EndOfString, String::new())
        } else if is_special(ch) {
            self.unread();
            self.scan_special_symbol()
        } else {
            self.unread();
            self.scan_id_or_keyword()
        }
    }
}

// --- parser ---------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn new(s: &str) -> Parser {
        let mut lexer = Lexer { s: s.as_bytes(), pos: 0 };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            let end = item.0 == Token::EndOfString;
            items.push(item);
            if end {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn item(&self, i: usize) -> (Token, String) {
        self.items
            .get(i)
            .or_else(|| self.items.last())
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()))
    }

    fn in_context(tok: Token, ctx: Context) -> Token {
        match (ctx, tok) {
            (Context::Values, Token::In | Token::NotIn) => Token::Identifier,
            _ => tok,
        }
    }

    fn lookahead(&self, ctx: Context) -> (Token, String) {
        let (t, l) = self.item(self.position);
        (Self::in_context(t, ctx), l)
    }

    fn consume(&mut self, ctx: Context) -> (Token, String) {
        let (t, l) = self.item(self.position);
        self.position += 1;
        (Self::in_context(t, ctx), l)
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(&key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(&key, op, values.into_iter().collect())
    }

    /// Returns the key and, for `k` / `!k`, the inferred unary operator.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut operator = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        let key_errs = label_key_errors(&lit);
        if !key_errs.is_empty() {
            // apimachinery validates the key here with a nil field path.
            return Err(invalid_value("<nil>", &lit, &key_errs.join("; ")));
        }
        let (t, _) = self.lookahead(Context::Values);
        if (t == Token::EndOfString || t == Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((lit, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{lit}', expected: {BINARY_OPERATORS}")),
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let s = self.parse_identifiers_list()?;
                let (t, _) = self.consume(Context::Values);
                if t != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(s)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut s = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    s.insert(lit);
                    let (t2, l2) = self.lookahead(Context::Values);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(s),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if s.is_empty() {
                        s.insert(String::new());
                    }
                    let (t2, _) = self.lookahead(Context::Values);
                    if t2 == Token::ClosedPar {
                        s.insert(String::new());
                        return Ok(s);
                    }
                    if t2 == Token::Comma {
                        s.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(BTreeSet::from([lit]))
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

// Label key / value validation lives in krust-runtime (the scheduler uses it too).
pub use krust_runtime::validation::{label_key_errors, label_value_errors};

/// Quotes like Go's `%q`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `field.Invalid` error's text for a string value.
fn invalid_value(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {}: {detail}", go_quote(value))
}

/// A `field.Invalid` error's text for a string-list value (Go prints `[]string` with `%#v`).
fn invalid_list(path: &str, values: &[String], detail: &str) -> String {
    let inner: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
    format!("{path}: Invalid value: []string{{{}}}: {detail}", inner.join(", "))
}

/// `utilerrors.NewAggregate(...).Error()`: one message as is, several de-duplicated in brackets.
fn aggregate(errs: Vec<String>) -> String {
    if errs.len() == 1 {
        return errs.into_iter().next().unwrap_or_default();
    }
    let mut seen: Vec<String> = Vec::new();
    for e in errs {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    if seen.len() == 1 {
        return seen.pop().unwrap_or_default();
    }
    format!("[{}]", seen.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------------

/// One term of a field selector: `field=value`, `field==value` or `field!=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    /// The unescaped value.
    pub value: String,
    /// True for `!=`.
    pub negated: bool,
}

/// A parsed field selector: the AND of its terms. The empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        FieldSelector::default()
    }

    /// A selector with the single term `field=value`.
    pub fn one_term_equal(field: &str, value: &str) -> Self {
        FieldSelector {
            terms: vec![FieldTerm { field: field.into(), value: value.into(), negated: false }],
        }
    }

    /// Parses the string form (`fieldSelector=` query parameter) as `fields.ParseSelector`:
    /// comma-separated terms (a backslash escapes `,`, `=` and `\` in values).
    pub fn parse(s: &str) -> Result<FieldSelector, String> {
        let mut parts = split_terms(s);
        parts.sort();
        let mut terms = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((lhs, op, rhs)) = split_term(part) else {
                return Err(format!("invalid selector: '{s}'; can't understand '{part}'"));
            };
            let value = unescape_value(rhs)?;
            terms.push(FieldTerm { field: lhs.to_string(), value, negated: op == "!=" });
        }
        Ok(FieldSelector { terms })
    }

    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// True when the selector does not restrict anything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value the selector requires `field` to equal (the first `=`/`==` term on it), as
    /// `RequiresExactMatch`: e.g. `metadata.name` for single-object watches.
    pub fn single_value(&self, field: &str) -> Option<&str> {
        self.terms.iter().find(|t| !t.negated && t.field == field).map(|t| t.value.as_str())
    }

    /// Checks every field label against what kube-apiserver accepts for `res` (its field label
    /// conversion function), with kube-apiserver's message for the first unsupported one.
    pub fn validate_for(&self, res: &ResourceInfo) -> Result<(), String> {
        self.normalized_for(res).map(|_| ())
    }

    /// The selector with its field labels converted to the canonical names the object's field
    /// set uses (`spec.host` → `spec.nodeName` on pods, `regarding.*` → `involvedObject.*` on
    /// events.k8s.io events), or the unsupported-field error.
    pub fn normalized_for(&self, res: &ResourceInfo) -> Result<FieldSelector, String> {
        let terms = self
            .terms
            .iter()
            .map(|t| {
                convert_field_label(res, &t.field)
                    .map(|field| FieldTerm { field: field.to_string(), ..t.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FieldSelector { terms })
    }

    /// Whether `obj` (JSON form of a `res` object) satisfies every term. Field values are
    /// computed as kube-apiserver's field sets do (booleans as "true"/"false", integers in
    /// decimal, missing strings as ""). Unsupported fields read as "".
    pub fn matches(&self, res: &ResourceInfo, obj: &Value) -> bool {
        self.terms.iter().all(|t| {
            let field = convert_field_label(res, &t.field).unwrap_or(t.field.as_str());
            let have = field_value(res, obj, field);
            (have == t.value) != t.negated
        })
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if t.negated { "!=" } else { "=" };
            write!(f, "{}{op}{}", t.field, escape_value(&t.value))?;
        }
        Ok(())
    }
}

/// Escapes `\`, `,` and `=` in a field selector value (`fields.EscapeValue`).
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits on unescaped commas, keeping escapes in the terms.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at the first operator (`!=`, `==`, `=`, tried in that order at each position).
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for op in ["!=", "==", "="] {
            if rest.starts_with(op) {
                return Some((&term[..i], op, &term[i + op.len()..]));
            }
        }
    }
    None
}

fn unescape_value(s: &str) -> Result<String, String> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                _ => return Err(format!("invalid field selector: invalid escape sequence: \\{c}")),
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => {
                return Err(format!(
                    "invalid field selector: unescapedRune character in value: {}",
                    c as u32
                ))
            }
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err("invalid field selector: invalid escape sequence: \\".to_string());
    }
    Ok(out)
}

// --- per-kind field labels ----------------------------------------------------------------------

const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
];

const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];

/// The field labels `res` accepts in field selectors (canonical names; aliases such as
/// `spec.host` for pods are accepted too but not listed).
pub fn supported_fields(res: &ResourceInfo) -> &'static [&'static str] {
    match (res.group, res.kind) {
        ("", "Pod") => POD_FIELDS,
        ("", "Node") => &["metadata.name", "spec.unschedulable"],
        ("", "ReplicationController") => {
            &["metadata.name", "metadata.namespace", "status.replicas"]
        }
        ("", "Event") | ("events.k8s.io", "Event") => EVENT_FIELDS,
        ("", "Namespace") => &["status.phase", "metadata.name"],
        ("", "Secret") => &["type", "metadata.namespace", "metadata.name"],
        ("", "Service") => &["metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"],
        ("batch", "Job") => &["metadata.name", "metadata.namespace", "status.successful"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// kube-apiserver's field label conversion for `res`: the canonical field name, or the error
/// message its conversion function returns.
fn convert_field_label<'a>(res: &ResourceInfo, label: &'a str) -> Result<&'a str, String> {
    match (res.group, res.kind) {
        ("", "Pod") if label == "spec.host" => Ok("spec.nodeName"),
        ("events.k8s.io", "Event") => match label {
            "reason" | "source" | "type" | "metadata.namespace" | "metadata.name" => Ok(label),
            "regarding.kind" => Ok("involvedObject.kind"),
            "regarding.namespace" => Ok("involvedObject.namespace"),
            "regarding.name" => Ok("involvedObject.name"),
            "regarding.uid" => Ok("involvedObject.uid"),
            "regarding.apiVersion" => Ok("involvedObject.apiVersion"),
            "regarding.resourceVersion" => Ok("involvedObject.resourceVersion"),
            "regarding.fieldPath" => Ok("involvedObject.fieldPath"),
            "reportingController" => Ok("reportingComponent"),
            _ => Err(format!("field label not supported: {label}")),
        },
        (group, kind) => {
            if supported_fields(res).contains(&label) {
                return Ok(label);
            }
            Err(match (group, kind) {
                ("", "Pod" | "Node" | "ReplicationController" | "Event" | "Namespace" | "Secret" | "Service") => {
                    format!("field label not supported: {label}")
                }
                ("batch", "Job") => format!("field label {} not supported for batchv1.Job", go_quote(label)),
                _ => format!(
                    "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
                    go_quote(label)
                ),
            })
        }
    }
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))
}

fn str_at(v: &Value, path: &[&str]) -> String {
    at(v, path).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn str_at_or(v: &Value, path: &[&str], default: &str) -> String {
    match at(v, path).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => default.to_string(),
    }
}

fn int_at(v: &Value, path: &[&str]) -> String {
    at(v, path).and_then(Value::as_i64).unwrap_or(0).to_string()
}

fn bool_at(v: &Value, path: &[&str]) -> String {
    at(v, path).and_then(Value::as_bool).unwrap_or(false).to_string()
}

/// The value of the canonical field `field` in `obj`'s field set ("" when absent).
fn field_value(res: &ResourceInfo, obj: &Value, field: &str) -> String {
    match field {
        "metadata.name" => return str_at(obj, &["metadata", "name"]),
        "metadata.namespace" => {
            return if res.namespaced {
                str_at(obj, &["metadata", "namespace"])
            } else {
                String::new()
            }
        }
        _ => {}
    }
    match (res.group, res.kind) {
        ("", "Pod") => match field {
            "spec.nodeName" => str_at(obj, &["spec", "nodeName"]),
            // API defaults, as a stored (defaulted) pod carries them.
            "spec.restartPolicy" => str_at_or(obj, &["spec", "restartPolicy"], "Always"),
            "spec.schedulerName" => str_at_or(obj, &["spec", "schedulerName"], "default-scheduler"),
            "spec.serviceAccountName" => str_at(obj, &["spec", "serviceAccountName"]),
            "spec.hostNetwork" => bool_at(obj, &["spec", "hostNetwork"]),
            "status.phase" => str_at(obj, &["status", "phase"]),
            "status.podIP" => at(obj, &["status", "podIPs"])
                .and_then(Value::as_array)
                .and_then(|ips| ips.first())
                .and_then(|ip| ip.get("ip"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| str_at(obj, &["status", "podIP"])),
            "status.nominatedNodeName" => str_at(obj, &["status", "nominatedNodeName"]),
            // status.podIPs is an accepted label but not part of the pod field set upstream.
            _ => String::new(),
        },
        ("", "Node") => match field {
            "spec.unschedulable" => bool_at(obj, &["spec", "unschedulable"]),
            _ => String::new(),
        },
        ("", "ReplicationController") | ("apps", "ReplicaSet") => match field {
            "status.replicas" => int_at(obj, &["status", "replicas"]),
            _ => String::new(),
        },
        ("batch", "Job") => match field {
            "status.successful" => int_at(obj, &["status", "succeeded"]),
            _ => String::new(),
        },
        ("", "Namespace") => match field {
            "status.phase" => str_at_or(obj, &["status", "phase"], "Active"),
            _ => String::new(),
        },
        ("", "Secret") => match field {
            "type" => str_at_or(obj, &["type"], "Opaque"),
            _ => String::new(),
        },
        ("", "Service") => match field {
            "spec.clusterIP" => str_at(obj, &["spec", "clusterIP"]),
            "spec.type" => str_at_or(obj, &["spec", "type"], "ClusterIP"),
            _ => String::new(),
        },
        ("", "Event") | ("events.k8s.io", "Event") => event_field(obj, field),
        _ => String::new(),
    }
}

/// Event fields, reading either the core/v1 or the events.k8s.io/v1 JSON shape.
fn event_field(obj: &Value, field: &str) -> String {
    let reference = obj
        .get("involvedObject")
        .filter(|v| v.is_object())
        .or_else(|| obj.get("regarding"))
        .unwrap_or(&Value::Null);
    let reporting = || {
        let rc = str_at(obj, &["reportingComponent"]);
        if rc.is_empty() {
            str_at(obj, &["reportingController"])
        } else {
            rc
        }
    };
    if let Some(sub) = field.strip_prefix("involvedObject.") {
        return match sub {
            "kind" | "namespace" | "name" | "uid" | "apiVersion" | "resourceVersion"
            | "fieldPath" => str_at(reference, &[sub]),
            _ => String::new(),
        };
    }
    match field {
        "reason" => str_at(obj, &["reason"]),
        "type" => str_at(obj, &["type"]),
        "reportingComponent" => reporting(),
        "source" => {
            let mut source = str_at(obj, &["source", "component"]);
            if source.is_empty() {
                source = str_at(obj, &["deprecatedSource", "component"]);
            }
            if source.is_empty() {
                source = reporting();
            }
            source
        }
        _ => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly on purpose
mod tests {
    use super::*;
    use crate::resources::lookup;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn sel(s: &str) -> LabelSelector {
        LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn res(group: &str, version: &str, plural: &str) -> &'static ResourceInfo {
        lookup(group, version, plural).unwrap()
    }

    #[test]
    fn empty_selector_matches_everything() {
        for s in ["", "   ", "\t\n"] {
            let l = sel(s);
            assert!(l.is_empty());
            assert!(l.matches(None));
            assert!(l.matches(Some(&labels(json!({"a": "b"})))));
            assert_eq!(l.to_string(), "");
        }
    }

    #[test]
    fn grammar_round_trips() {
        let cases = [
            ("x=a", "x=a"),
            ("x==a", "x==a"),
            ("x!=a", "x!=a"),
            ("x in (b,a)", "x in (a,b)"),
            ("x notin (a)", "x notin (a)"),
            ("x", "x"),
            ("!x", "!x"),
            ("x>1", "x>1"),
            ("x<3", "x<3"),
            ("  x  =  a  ,  y  ", "x=a,y"),
            ("z,y=b,x in (c)", "x in (c),y=b,z"),
            ("x=", "x="),
            ("x in (in,notin)", "x in (in,notin)"),
            ("example.com/app-name=v1.2_3", "example.com/app-name=v1.2_3"),
            ("x in (,a)", "x in (,a)"),
            ("x in ()", "x in ()"),
            ("x in (a,,b)", "x in (,a,b)"),
        ];
        for (input, want) in cases {
            assert_eq!(sel(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn parsed_requirements_have_expected_operators() {
        let l = sel("a=1,b==2,c!=3,d in (x,y),e notin (z),f,!g,h>5,i<7");
        let ops: Vec<(&str, Operator)> =
            l.requirements().iter().map(|r| (r.key(), r.operator())).collect();
        assert_eq!(
            ops,
            vec![
                ("a", Operator::Equals),
                ("b", Operator::DoubleEquals),
                ("c", Operator::NotEquals),
                ("d", Operator::In),
                ("e", Operator::NotIn),
                ("f", Operator::Exists),
                ("g", Operator::DoesNotExist),
                ("h", Operator::GreaterThan),
                ("i", Operator::LessThan),
            ]
        );
        assert_eq!(l.requirements()[3].values(), &["x".to_string(), "y".to_string()]);
    }

    #[test]
    fn matching_semantics() {
        let l = labels(json!({"app": "nginx", "tier": "web", "n": "5", "empty": ""}));
        let yes = [
            "app=nginx",
            "app==nginx",
            "app!=redis",
            "missing!=x",
            "app in (nginx,bb)",
            "app notin (bb)",
            "missing notin (bb)",
            "app",
            "!missing",
            "n>4",
            "n<6",
            "empty=",
            "empty in ()",
            "app in (nginx,bb),!foo",
            "app,tier=web",
        ];
        for s in yes {
            assert!(sel(s).matches(Some(&l)), "{s} should match");
        }
        let no = [
            "app=redis",
            "app!=nginx",
            "missing=x",
            "app in (bb)",
            "missing in (bb)",
            "app notin (nginx)",
            "missing",
            "!app",
            "n>5",
            "n<5",
            "app>1",
            "missing>1",
            "app=nginx,tier=db",
        ];
        for s in no {
            assert!(!sel(s).matches(Some(&l)), "{s} should not match");
        }
        assert!(!sel("app").matches(None));
        assert!(sel("!app").matches(None));
        assert!(sel("app!=x").matches(None));
    }

    #[test]
    fn parse_errors_match_apimachinery() {
        let cases = [
            ("x=a b", "found 'b', expected: ',' or 'end of string'"),
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("x,", "found '', expected: identifier after ','"),
            (",x", "found ',', expected: !, identifier, or 'end of string'"),
            ("x in a", "unable to parse requirement: found 'a' expected: '('"),
            ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
            ("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ("x=(", "unable to parse requirement: found '(', expected: identifier"),
            ("!", "unable to parse requirement: found '', expected: identifier"),
            ("!x=a", "found '=', expected: ',' or 'end of string'"),
            (
                "x>a",
                "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(LabelSelector::parse(input).unwrap_err(), want, "{input}");
        }
    }

    #[test]
    fn key_and_value_validation_errors() {
        let err = LabelSelector::parse("-bad=x").unwrap_err();
        assert_eq!(
            err,
            "unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        let err = LabelSelector::parse("x=-bad").unwrap_err();
        assert_eq!(
            err,
            "unable to parse requirement: values[0][x]: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        let long = "a".repeat(64);
        let err = LabelSelector::parse(&format!("x={long}")).unwrap_err();
        assert!(err.contains("must be no more than 63 characters"), "{err}");
        let err = LabelSelector::parse(&format!("{long}=x")).unwrap_err();
        assert!(err.contains("name part must be no more than 63 characters"), "{err}");
        let err = LabelSelector::parse("Bad.Prefix/x=y").unwrap_err();
        assert!(err.contains("prefix part a lowercase RFC 1123 subdomain"), "{err}");
        let err = LabelSelector::parse("/x").unwrap_err();
        assert!(err.contains("prefix part must be non-empty"), "{err}");
        let err = LabelSelector::parse("a/b/c").unwrap_err();
        assert!(err.contains("a qualified name must consist of"), "{err}");
        let err = LabelSelector::parse("x/").unwrap_err();
        assert!(err.contains("name part must be non-empty; name part must consist"), "{err}");
        // Values up to 63 characters, dots, dashes and underscores are fine.
        assert!(LabelSelector::parse(&format!("x={}", "a".repeat(63))).is_ok());
        assert!(LabelSelector::parse("x in (a.b-c_d,A1)").is_ok());
        assert!(LabelSelector::parse("kubernetes.io/metadata.name=default").is_ok());
    }

    #[test]
    fn from_label_selector_json_converts_match_labels_and_expressions() {
        let s = LabelSelector::from_label_selector_json(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        }))
        .unwrap();
        assert_eq!(s.to_string(), "app=web,env notin (prod),!legacy,team,tier in (a,b)");
        assert!(s.matches(Some(&labels(json!({"app": "web", "tier": "a", "team": "x"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "web", "tier": "c", "team": "x"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "web", "tier": "a"})))));
        assert!(!s
            .matches(Some(&labels(json!({"app": "web", "tier": "a", "team": "x", "legacy": ""})))));

        let everything = LabelSelector::from_label_selector_json(&json!({})).unwrap();
        assert!(everything.is_empty() && everything.matches(None));
        let nothing = LabelSelector::from_label_selector_json(&Value::Null).unwrap();
        assert!(!nothing.is_empty() && nothing.matches_nothing());
        assert!(!nothing.matches(None));
        assert!(!nothing.matches(Some(&labels(json!({"a": "b"})))));

        let err = LabelSelector::from_label_selector_json(&json!({
            "matchExpressions": [{"key": "a", "operator": "Bogus"}]
        }))
        .unwrap_err();
        assert_eq!(err, "\"Bogus\" is not a valid label selector operator");
        let err = LabelSelector::from_label_selector_json(&json!({
            "matchExpressions": [{"key": "a", "operator": "In", "values": []}]
        }))
        .unwrap_err();
        assert_eq!(
            err,
            "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
        );
        let err = LabelSelector::from_label_selector_json(&json!({
            "matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]
        }))
        .unwrap_err();
        assert!(err.contains("values set must be empty for exists and does not exist"), "{err}");
        let err = LabelSelector::from_label_selector_json(&json!({"matchLabels": {"a b": "c"}}))
            .unwrap_err();
        assert!(err.starts_with("key: Invalid value: \"a b\": name part"), "{err}");
    }

    #[test]
    fn from_map_and_exact_match() {
        let s = LabelSelector::from_map(&labels(json!({"b": "2", "a": "1"})));
        assert_eq!(s.to_string(), "a=1,b=2");
        assert!(s.matches_object(&json!({"metadata": {"labels": {"a": "1", "b": "2", "c": "3"}}})));
        assert!(!s.matches_object(&json!({"metadata": {"labels": {"a": "1"}}})));
        assert!(LabelSelector::from_map(&Map::new()).is_empty());
        assert_eq!(sel("a=1,b in (x)").requires_exact_match("a"), Some("1"));
        assert_eq!(sel("a=1,b in (x)").requires_exact_match("b"), Some("x"));
        assert_eq!(sel("a!=1").requires_exact_match("a"), None);
        assert_eq!(sel("a in (1,2)").requires_exact_match("a"), None);
    }

    #[test]
    fn field_selector_parsing() {
        let f = FieldSelector::parse("metadata.name=foo,status.phase!=Running,spec.nodeName==n1")
            .unwrap();
        assert_eq!(f.terms().len(), 3);
        // Terms are sorted, as apimachinery sorts the raw parts.
        assert_eq!(f.to_string(), "metadata.name=foo,spec.nodeName=n1,status.phase!=Running");
        assert!(f.terms()[2].negated);
        assert_eq!(f.single_value("metadata.name"), Some("foo"));
        assert_eq!(f.single_value("spec.nodeName"), Some("n1"));
        assert_eq!(f.single_value("status.phase"), None);
        assert!(FieldSelector::parse("").unwrap().is_empty());
        assert!(FieldSelector::parse(",,").unwrap().is_empty());
        assert_eq!(FieldSelector::parse("a=").unwrap().single_value("a"), Some(""));
    }

    #[test]
    fn field_selector_escapes_and_errors() {
        let f = FieldSelector::parse(r"metadata.name=a\,b\=c\\d,type=x").unwrap();
        assert_eq!(f.single_value("metadata.name"), Some(r"a,b=c\d"));
        assert_eq!(f.single_value("type"), Some("x"));
        assert_eq!(f.to_string(), r"metadata.name=a\,b\=c\\d,type=x");
        assert_eq!(escape_value("a,b=c\\"), r"a\,b\=c\\");

        assert_eq!(
            FieldSelector::parse("foo").unwrap_err(),
            "invalid selector: 'foo'; can't understand 'foo'"
        );
        assert_eq!(
            FieldSelector::parse("a=b,bogus").unwrap_err(),
            "invalid selector: 'a=b,bogus'; can't understand 'bogus'"
        );
        assert_eq!(
            FieldSelector::parse("a=b=c").unwrap_err(),
            "invalid field selector: unescapedRune character in value: 61"
        );
        assert_eq!(
            FieldSelector::parse(r"a=b\x").unwrap_err(),
            r"invalid field selector: invalid escape sequence: \x"
        );
        assert_eq!(
            FieldSelector::parse(r"a=b\").unwrap_err(),
            r"invalid field selector: invalid escape sequence: \"
        );
    }

    #[test]
    fn field_validation_per_kind() {
        let pods = res("", "v1", "pods");
        for f in POD_FIELDS.iter().chain(&["spec.host"]) {
            FieldSelector::parse(&format!("{f}=x")).unwrap().validate_for(pods).unwrap();
        }
        assert_eq!(
            FieldSelector::parse("bogus=x").unwrap().validate_for(pods).unwrap_err(),
            "field label not supported: bogus"
        );

        let nodes = res("", "v1", "nodes");
        FieldSelector::parse("spec.unschedulable=true,metadata.name=n")
            .unwrap()
            .validate_for(nodes)
            .unwrap();
        assert_eq!(
            FieldSelector::parse("metadata.namespace=").unwrap().validate_for(nodes).unwrap_err(),
            "field label not supported: metadata.namespace"
        );

        let ns = res("", "v1", "namespaces");
        FieldSelector::parse("status.phase=Active").unwrap().validate_for(ns).unwrap();
        let secrets = res("", "v1", "secrets");
        FieldSelector::parse("type=Opaque").unwrap().validate_for(secrets).unwrap();
        let rc = res("", "v1", "replicationcontrollers");
        FieldSelector::parse("status.replicas=1").unwrap().validate_for(rc).unwrap();
        let svc = res("", "v1", "services");
        FieldSelector::parse("spec.type=ClusterIP,spec.clusterIP=None")
            .unwrap()
            .validate_for(svc)
            .unwrap();

        let events = res("", "v1", "events");
        for f in EVENT_FIELDS {
            FieldSelector::parse(&format!("{f}=x")).unwrap().validate_for(events).unwrap();
        }
        assert_eq!(
            FieldSelector::parse("regarding.name=x").unwrap().validate_for(events).unwrap_err(),
            "field label not supported: regarding.name"
        );
        let new_events = res("events.k8s.io", "v1", "events");
        let f = FieldSelector::parse("regarding.name=x,reportingController=k").unwrap();
        assert_eq!(
            f.normalized_for(new_events).unwrap().to_string(),
            "involvedObject.name=x,reportingComponent=k"
        );
        assert_eq!(
            FieldSelector::parse("involvedObject.name=x")
                .unwrap()
                .validate_for(new_events)
                .unwrap_err(),
            "field label not supported: involvedObject.name"
        );

        let jobs = res("batch", "v1", "jobs");
        FieldSelector::parse("status.successful=1").unwrap().validate_for(jobs).unwrap();
        assert_eq!(
            FieldSelector::parse("status.failed=1").unwrap().validate_for(jobs).unwrap_err(),
            "field label \"status.failed\" not supported for batchv1.Job"
        );

        let cms = res("", "v1", "configmaps");
        FieldSelector::parse("metadata.name=a,metadata.namespace=b")
            .unwrap()
            .validate_for(cms)
            .unwrap();
        assert_eq!(
            FieldSelector::parse("data.x=1").unwrap().validate_for(cms).unwrap_err(),
            "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        let ing = res("networking.k8s.io", "v1", "ingresses");
        assert_eq!(
            FieldSelector::parse("foo.bar=baz").unwrap().validate_for(ing).unwrap_err(),
            "\"foo.bar\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        // Cluster-scoped kinds without a conversion function still accept metadata.namespace.
        let pcs = res("scheduling.k8s.io", "v1", "priorityclasses");
        FieldSelector::parse("metadata.namespace=").unwrap().validate_for(pcs).unwrap();
        // apps/v1 registers no field label conversions.
        let rs = res("apps", "v1", "replicasets");
        assert!(FieldSelector::parse("status.replicas=1").unwrap().validate_for(rs).is_err());
        // The first unsupported term (in sorted order) is reported.
        assert_eq!(
            FieldSelector::parse("zz=1,aa=2").unwrap().validate_for(pods).unwrap_err(),
            "field label not supported: aa"
        );
    }

    #[test]
    fn field_matching_pods() {
        let pods = res("", "v1", "pods");
        let pod = json!({
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"nodeName": "n1", "serviceAccountName": "sa"},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}
        });
        let m = |s: &str| FieldSelector::parse(s).unwrap().matches(pods, &pod);
        assert!(m("metadata.name=p"));
        assert!(m("metadata.namespace=default"));
        assert!(m("metadata.namespace!=kube-system"));
        assert!(m("spec.nodeName=n1"));
        assert!(m("spec.host=n1"));
        assert!(m("spec.restartPolicy=Always"));
        assert!(m("spec.schedulerName=default-scheduler"));
        assert!(m("spec.serviceAccountName=sa"));
        assert!(m("spec.hostNetwork=false"));
        assert!(!m("spec.hostNetwork=true"));
        assert!(m("status.phase=Running,spec.nodeName=n1"));
        assert!(!m("status.phase!=Running"));
        assert!(m("status.podIP=10.0.0.1"));
        assert!(m("status.nominatedNodeName="));
        assert!(m("status.podIPs="));
        assert!(m(""));

        let pending = json!({"metadata": {"name": "q"}, "spec": {"hostNetwork": true}, "status": {"phase": "Pending"}});
        let m2 = |s: &str| FieldSelector::parse(s).unwrap().matches(pods, &pending);
        assert!(m2("spec.nodeName="));
        assert!(m2("spec.hostNetwork=true"));
        assert!(m2("status.podIP="));
        assert!(m2("status.phase!=Running"));
    }

    #[test]
    fn field_matching_other_kinds() {
        let nodes = res("", "v1", "nodes");
        let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
        assert!(FieldSelector::parse("spec.unschedulable=true").unwrap().matches(nodes, &node));
        assert!(FieldSelector::parse("metadata.namespace=").unwrap().matches(nodes, &node));
        let plain = json!({"metadata": {"name": "n2"}});
        assert!(FieldSelector::parse("spec.unschedulable=false").unwrap().matches(nodes, &plain));

        let secrets = res("", "v1", "secrets");
        let secret = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls"});
        assert!(FieldSelector::parse("type=kubernetes.io/tls").unwrap().matches(secrets, &secret));
        assert!(!FieldSelector::parse("type=Opaque").unwrap().matches(secrets, &secret));

        let rcs = res("", "v1", "replicationcontrollers");
        let rc = json!({"metadata": {"name": "r"}, "status": {"replicas": 3}});
        assert!(FieldSelector::parse("status.replicas=3").unwrap().matches(rcs, &rc));
        assert!(FieldSelector::parse("status.replicas=0").unwrap().matches(rcs, &json!({})));

        let jobs = res("batch", "v1", "jobs");
        let job = json!({"metadata": {"name": "j"}, "status": {"succeeded": 2}});
        assert!(FieldSelector::parse("status.successful=2").unwrap().matches(jobs, &job));

        let ns = res("", "v1", "namespaces");
        let n = json!({"metadata": {"name": "kube-system"}, "status": {"phase": "Terminating"}});
        assert!(FieldSelector::parse("status.phase=Terminating").unwrap().matches(ns, &n));

        let svcs = res("", "v1", "services");
        let svc = json!({"metadata": {"name": "s"}, "spec": {"clusterIP": "10.96.0.1", "type": "NodePort"}});
        assert!(FieldSelector::parse("spec.clusterIP=10.96.0.1,spec.type=NodePort")
            .unwrap()
            .matches(svcs, &svc));
    }

    #[test]
    fn field_matching_events() {
        let events = res("", "v1", "events");
        let ev = json!({
            "metadata": {"name": "e", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "nginx", "uid": "u1",
                               "apiVersion": "v1", "resourceVersion": "7", "fieldPath": "spec.containers{c}"},
            "reason": "Started", "type": "Normal", "source": {"component": "kubelet", "host": "n1"},
            "reportingComponent": "kubelet"
        });
        let m = |s: &str| FieldSelector::parse(s).unwrap().matches(events, &ev);
        assert!(m(
            "involvedObject.kind=Pod,involvedObject.name=nginx,involvedObject.namespace=default"
        ));
        assert!(m(
            "involvedObject.uid=u1,involvedObject.apiVersion=v1,involvedObject.resourceVersion=7"
        ));
        assert!(m("involvedObject.fieldPath=spec.containers{c}"));
        assert!(m("reason=Started,type=Normal,source=kubelet,reportingComponent=kubelet"));
        assert!(!m("type=Warning"));

        let new_events = res("events.k8s.io", "v1", "events");
        let ev2 = json!({
            "metadata": {"name": "e2", "namespace": "default"},
            "regarding": {"kind": "Deployment", "name": "web"},
            "reason": "ScalingReplicaSet", "type": "Normal", "reportingController": "deployment-controller"
        });
        let m2 = |s: &str| FieldSelector::parse(s).unwrap().matches(new_events, &ev2);
        assert!(m2("regarding.kind=Deployment,regarding.name=web"));
        assert!(m2("reportingController=deployment-controller"));
        assert!(m2("source=deployment-controller"));
        assert!(!m2("regarding.name=other"));
    }
}
