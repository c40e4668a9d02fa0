//! Activities: CreateActivity, DescribeActivity, DeleteActivity, ListActivities, GetActivityTask, and the queue of
//! tasks each activity has for workers, with long polling.
//!
//! Activity records live in the store and survive a restart; their task queues live in memory and are rebuilt: a
//! running execution's activity task is queued again when the execution is recovered (a task a worker had taken
//! before the restart waits for its token). Tags of activities are set through `tags.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use store::Store;

use crate::service::actor::{Ack, Message};
use crate::service::inbox::Delivery;
use crate::service::{
    Activity, Encryption, Error, Page, PageRequest, Service, acknowledged, encryption, internal, names, now, paging, tags,
};

/// How many times CreateActivity tries again when the activity it found is deleted before it can read it.
const CREATE_ATTEMPTS: usize = 3;

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    pub token: String,
    pub input: String,
}

/// The task queues of all activities, by activity ARN (tasks may wait for an activity nobody created yet).
#[derive(Default)]
pub(crate) struct Activities {
    queues: Mutex<BTreeMap<String, VecDeque<ActivityTask>>>,
    arrived: Notify,
    /// Set at shutdown: long polls answer at once.
    closed: std::sync::atomic::AtomicBool,
}

impl Service {
    /// `CreateActivity`: idempotent on the name and settings; an existing activity is returned as it is (AWS ignores
    /// the tags of a repeated create), unless its encryption configuration differs (`ActivityAlreadyExists`).
    pub async fn create_activity(
        &self,
        name: &str,
        tags: Vec<(String, String)>,
        encryption: Option<&Encryption>,
    ) -> Result<Activity, Error> {
        names::check_name(name)?;
        let encryption_configuration = encryption::kept(encryption)?;
        let tags = tags::merged(Vec::new(), tags)?;
        let arn = self.arn(&format!("activity:{name}"));
        let activity = Activity { arn, name: name.to_owned(), created: now(), tags, encryption_configuration };
        for _ in 0..CREATE_ATTEMPTS {
            match self.inner.store.create_activity(activity.clone().into()).await {
                Ok(()) => return Ok(activity),
                Err(store::Error::AlreadyExists(_)) => {}
                Err(error) => return Err(internal(error)),
            }
            match self.inner.store.activity(&activity.arn).await.map_err(internal)?.map(Activity::from) {
                Some(existing) if existing.encryption_configuration == activity.encryption_configuration => {
                    return Ok(existing);
                }
                // The message is a guess in the style of StateMachineAlreadyExists; AWS's is not published.
                Some(_) => {
                    return Err(Error::ActivityAlreadyExists(format!("Activity Already Exists: '{}'", activity.arn)));
                }
                None => {}
            }
        }
        Err(internal(format!("activity {} was deleted and created again concurrently", activity.arn)))
    }

    pub async fn describe_activity(&self, arn: &str) -> Result<Activity, Error> {
        names::check_activity_arn(arn)?;
        self.inner
            .store
            .activity(arn)
            .await
            .map_err(internal)?
            .map(Activity::from)
            .ok_or_else(|| Error::ActivityDoesNotExist(format!("Activity Does Not Exist: '{arn}'")))
    }

    /// `DeleteActivity`; deleting an activity that does not exist succeeds, as in AWS.
    pub async fn delete_activity(&self, arn: &str) -> Result<(), Error> {
        names::check_activity_arn(arn)?;
        match self.inner.store.delete_activity(arn).await {
            Ok(()) | Err(store::Error::NotFound(_)) => Ok(()),
            Err(error) => Err(internal(error)),
        }
    }

    /// `ListActivities`, in creation order.
    pub async fn list_activities(&self, page: PageRequest) -> Result<Page<Activity>, Error> {
        let mut page: Page<Activity> = self.inner.store.list_activities(page.into()).await.map(Page::from).map_err(paging)?;
        page.items.retain(|activity| self.sees(&activity.arn));
        Ok(page)
    }

    /// `GetActivityTask`: the next task of the activity, waiting up to `wait` (AWS: about 60 s); `None` when none came.
    pub async fn get_activity_task(
        &self,
        arn: &str,
        worker: Option<String>,
        wait: Duration,
    ) -> Result<Option<ActivityTask>, Error> {
        self.describe_activity(arn).await?;
        let deadline = tokio::time::Instant::now() + wait;
        if self.inner.store.shared() {
            return self.take_shared_task(arn, worker.unwrap_or_default(), deadline).await;
        }
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(task) = self.inner.activities.poll(arn, left).await else { return Ok(None) };
            // A task whose execution ended or timed out meanwhile is dropped; wait for the next. A task taken is handed
            // out once its ActivityStarted is committed, so that a restart does not queue it again.
            if let Ok(()) = self.started(&task.token, worker.clone().unwrap_or_default(), None).await {
                return Ok(Some(task));
            }
        }
    }

    /// Tells the execution of `token` that `worker` took its activity task; answers once that is committed.
    pub(crate) async fn started(&self, token: &str, worker: String, inbox: Option<i64>) -> Result<(), Error> {
        let (live, id) = self.token_task(token)?;
        let (ack, acked) = Ack::channel(inbox);
        if live.sender.send(Message::Started(id, worker, ack)).is_err() {
            return Err(Error::TaskDoesNotExist(format!("Task Does Not Exist: '{token}'")));
        }
        acknowledged(acked).await
    }

    /// `GetActivityTask` on a shared store: takes the oldest task waiting in the database (whichever node's execution
    /// scheduled it), hands it out once its execution's node has committed that the worker has it, and otherwise
    /// waits for a new task (a notification, or a look every second) until `deadline`.
    async fn take_shared_task(&self, arn: &str, worker: String, deadline: tokio::time::Instant) -> Result<Option<ActivityTask>, Error> {
        loop {
            let arrived = self.inner.notices.activities.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let started = |token: &str| serde_json::json!({"kind": "started", "token": token, "worker": worker}).to_string();
            let taken = self.inner.store.take_activity_task(arn, now(), started).await.map_err(internal)?;
            if let Some((token, execution_arn, input, message)) = taken {
                match self.await_answer(&execution_arn, message).await? {
                    Delivery::Answered(Ok(())) => return Ok(Some(ActivityTask { token, input })),
                    // Its execution ended or the task timed out meanwhile: wait for the next.
                    Delivery::Answered(Err(_)) | Delivery::Ended => continue,
                }
            }
            if self.inner.shutting_down() {
                return Ok(None);
            }
            let next_look = (tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline);
            tokio::select! {
                () = arrived => {}
                () = tokio::time::sleep_until(next_look) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }
}

impl Activities {
    /// Queues a task for the activity's workers.
    pub(crate) fn enqueue(&self, arn: &str, token: String, input: String) {
        self.lock().entry(arn.to_owned()).or_default().push_back(ActivityTask { token, input });
        self.arrived.notify_waiters();
    }

    /// How many tasks wait for a worker, by activity ARN (those with none left out).
    pub(crate) fn depths(&self) -> Vec<(String, u64)> {
        self.lock().iter().filter(|(_, queue)| !queue.is_empty()).map(|(arn, queue)| (arn.clone(), queue.len() as u64)).collect()
    }

    /// Forgets every queued task (`Service::reset`).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Ends every long poll, now and later: the server is shutting down.
    pub(crate) fn shut_down(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.arrived.notify_waiters();
    }

    /// The next task of the activity, waiting up to `wait` for one.
    async fn poll(&self, arn: &str, wait: Duration) -> Option<ActivityTask> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.arrived.notified();
            if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return None;
            }
            if let Some(task) = self.lock().get_mut(arn).and_then(VecDeque::pop_front) {
                return Some(task);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, VecDeque<ActivityTask>>> {
        // The queues stay consistent across a panic elsewhere; keep using them.
        self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
