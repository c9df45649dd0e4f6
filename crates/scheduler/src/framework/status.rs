//! Plugin verdicts: kube-scheduler's `framework.Status` codes.

/// What a plugin says about a pod (and, for filters, a node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    Success,
    /// Something went wrong that is not the pod's fault; the pod is retried with backoff.
    Error,
    /// Does not fit now; preemption may help.
    Unschedulable,
    /// Does not fit and preemption cannot help (e.g. node selector mismatch).
    UnschedulableAndUnresolvable,
    /// Permit: hold the pod until allowed or timed out.
    Wait,
    /// The plugin has nothing to say for this pod; its later extension points are skipped.
    Skip,
    /// Waiting for something outside the scheduler (PreEnqueue gates).
    Pending,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
    /// The plugin that produced the status (filled in by the framework).
    pub plugin: &'static str,
}

impl Default for Status {
    fn default() -> Self {
        Status::success()
    }
}

impl Status {
    pub const fn success() -> Self {
        Status { code: Code::Success, reasons: Vec::new(), plugin: "" }
    }
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Status { code, reasons: vec![reason.into()], plugin: "" }
    }
    pub fn unschedulable(reason: impl Into<String>) -> Self {
        Status::new(Code::Unschedulable, reason)
    }
    pub fn unresolvable(reason: impl Into<String>) -> Self {
        Status::new(Code::UnschedulableAndUnresolvable, reason)
    }
    pub fn error(reason: impl Into<String>) -> Self {
        Status::new(Code::Error, reason)
    }
    pub const fn skip() -> Self {
        Status { code: Code::Skip, reasons: Vec::new(), plugin: "" }
    }
    pub fn with_plugin(mut self, plugin: &'static str) -> Self {
        self.plugin = plugin;
        self
    }
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }
    /// Unschedulable, UnschedulableAndUnresolvable or Pending: the pod is rejected, not broken.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable | Code::Pending
        )
    }
    /// The reasons joined as kube-scheduler prints them.
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}
