//! TEMPORARY minimal selectors (equality only); replaced by the full implementation.
use serde_json::{Map, Value};
use crate::resources::ResourceInfo;

#[derive(Clone, Debug, Default)]
pub struct LabelSelector { reqs: Vec<(String, String)> }
impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("unable to parse requirement: {part}"))?;
            reqs.push((k.trim().to_string(), v.trim_start_matches('=').trim().to_string()));
        }
        Ok(LabelSelector { reqs })
    }
    pub fn is_empty(&self) -> bool { self.reqs.is_empty() }
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        self.reqs.iter().all(|(k, v)| labels.and_then(|l| l.get(k)).and_then(Value::as_str) == Some(v))
    }
}
#[derive(Clone, Debug, Default)]
pub struct FieldSelector { reqs: Vec<(String, String)> }
impl FieldSelector {
    pub fn parse(s: &str) -> Result<Self, String> { LabelSelector::parse(s).map(|l| FieldSelector { reqs: l.reqs }) }
    pub fn is_empty(&self) -> bool { self.reqs.is_empty() }
    pub fn validate_for(&self, _res: &ResourceInfo) -> Result<(), String> { Ok(()) }
    pub fn matches(&self, _res: &ResourceInfo, obj: &Value) -> bool {
        self.reqs.iter().all(|(k, v)| {
            let path = format!("/{}", k.replace('.', "/"));
            obj.pointer(&path).and_then(Value::as_str).unwrap_or("") == v
        })
    }
}
