//! Activities: their registry, and the queue of tasks each one has for workers, with long polling.
//!
//! The registry is kept in memory and is lost on restart; the tasks are not: a running execution's activity task is
//! queued again when the execution is recovered (a task a worker had taken before the restart waits for its token).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// An activity as `DescribeActivity` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub arn: String,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created: i64,
    pub tags: Vec<(String, String)>,
}

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    pub token: String,
    pub input: String,
}

#[derive(Default)]
pub(crate) struct Activities {
    state: Mutex<State>,
    arrived: Notify,
}

#[derive(Default)]
struct State {
    /// Activities by ARN, in creation order of their names.
    activities: BTreeMap<String, Activity>,
    /// Tasks waiting for a worker, by activity ARN (tasks may wait for an activity nobody created yet).
    queues: BTreeMap<String, VecDeque<ActivityTask>>,
}

impl Activities {
    /// Creates an activity; the existing one if the name is taken (CreateActivity is idempotent).
    pub(crate) fn create(&self, activity: Activity) -> Activity {
        self.lock().activities.entry(activity.arn.clone()).or_insert(activity).clone()
    }

    pub(crate) fn get(&self, arn: &str) -> Option<Activity> {
        self.lock().activities.get(arn).cloned()
    }

    /// Replaces an activity's tags; `false` if it does not exist.
    pub(crate) fn set_tags(&self, arn: &str, tags: Vec<(String, String)>) -> bool {
        match self.lock().activities.get_mut(arn) {
            Some(activity) => {
                activity.tags = tags;
                true
            }
            None => false,
        }
    }

    pub(crate) fn delete(&self, arn: &str) {
        self.lock().activities.remove(arn);
    }

    pub(crate) fn list(&self) -> Vec<Activity> {
        let mut activities: Vec<Activity> = self.lock().activities.values().cloned().collect();
        activities.sort_by_key(|a| a.created);
        activities
    }

    /// Queues a task for the activity's workers.
    pub(crate) fn enqueue(&self, arn: &str, token: String, input: String) {
        self.lock().queues.entry(arn.to_owned()).or_default().push_back(ActivityTask { token, input });
        self.arrived.notify_waiters();
    }

    /// The next task of the activity, waiting up to `wait` for one.
    pub(crate) async fn poll(&self, arn: &str, wait: Duration) -> Option<ActivityTask> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.arrived.notified();
            if let Some(task) = self.lock().queues.get_mut(arn).and_then(VecDeque::pop_front) {
                return Some(task);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The registry stays consistent across a panic elsewhere; keep using it.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
