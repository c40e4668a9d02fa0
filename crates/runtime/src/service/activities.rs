//! Activities: CreateActivity, DescribeActivity, DeleteActivity, ListActivities, GetActivityTask, and the queue of
//! tasks each activity has for workers, with long polling.
//!
//! Activity records live in the store and survive a restart; their task queues live in memory and are rebuilt: a
//! running execution's activity task is queued again when the execution is recovered (a task a worker had taken
//! before the restart waits for its token). Tags of activities are set through `tags.rs`.
//!
//! For operators (the console's Activities page, `activity_queues`): which workers wait in GetActivityTask on this
//! server now (`Poller`, registered for the length of the call), and which tasks wait for a worker: how many (from the
//! database on a shared store, which queues them there), and on SQLite which executions they belong to and since when.

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

/// A worker waiting for a task in GetActivityTask on this server now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poller {
    pub activity_arn: String,
    /// The `workerName` it gave, if any.
    pub worker: Option<String>,
    /// When it started waiting (milliseconds since the epoch).
    pub since: i64,
}

/// A task scheduled for an activity's workers and not yet taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedTask {
    pub execution_arn: String,
    /// When it was scheduled, or queued again after a restart (milliseconds since the epoch).
    pub since: i64,
}

/// An activity as operators see it: its workers polling and its tasks waiting (`Service::activity_queues`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityQueue {
    pub arn: String,
    pub name: String,
    /// `None` when no such activity exists (tasks may wait for one that was deleted or never created).
    pub created: Option<i64>,
    /// How many tasks wait for a worker.
    pub waiting: u64,
    /// The oldest of them (at most `SHOWN_TASKS`), where this server knows them: on SQLite, whose queues are in its
    /// memory; on a shared store, whose queues are in the database, none.
    pub tasks: Vec<QueuedTask>,
    /// The workers waiting in GetActivityTask on this server now, longest waiting first.
    pub pollers: Vec<Poller>,
}

/// The most waiting tasks `activity_queues` lists per activity.
pub const SHOWN_TASKS: usize = 20;

/// The task queues of all activities, by activity ARN (tasks may wait for an activity nobody created yet), and the
/// workers polling them.
#[derive(Default)]
pub(crate) struct Activities {
    queues: Mutex<BTreeMap<String, VecDeque<Queued>>>,
    arrived: Notify,
    /// Set at shutdown: long polls answer at once.
    closed: std::sync::atomic::AtomicBool,
    /// The GetActivityTask calls waiting now, by a number of their own.
    pollers: Mutex<BTreeMap<u64, Poller>>,
    next_poller: std::sync::atomic::AtomicU64,
}

/// A queued task, with what operators see of it.
struct Queued {
    task: ActivityTask,
    waiting: QueuedTask,
}

/// A registered poller, removed from `Activities::pollers` when its call ends, however it ends (a client that hangs
/// up drops the call).
struct Polling<'a> {
    activities: &'a Activities,
    id: u64,
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        self.activities.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.id);
    }
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
        let _polling = self.inner.activities.polling(arn, worker.clone());
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

    /// Every activity this service sees, and every activity ARN of its account that tasks wait for although no such
    /// activity exists, by ARN: its workers polling this server now and its tasks waiting (`ActivityQueue`).
    pub async fn activity_queues(&self) -> Result<Vec<ActivityQueue>, Error> {
        let mut queues: BTreeMap<String, ActivityQueue> = BTreeMap::new();
        let mut token = None;
        loop {
            let page = self.list_activities(PageRequest { token, limit: 1000 }).await?;
            for activity in page.items {
                let queue = ActivityQueue {
                    arn: activity.arn.clone(),
                    name: activity.name,
                    created: Some(activity.created),
                    waiting: 0,
                    tasks: Vec::new(),
                    pollers: Vec::new(),
                };
                queues.insert(activity.arn, queue);
            }
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        // A shared store queues activity tasks in the database; SQLite's are in this process's memory.
        let depths = if self.inner.store.shared() {
            self.inner.store.gauges().await.map_err(internal)?.activity_tasks
        } else {
            self.inner.activities.depths()
        };
        let unknown = |arn: &str| ActivityQueue {
            arn: arn.to_owned(),
            name: arn.rsplit(':').next().unwrap_or_default().to_owned(),
            created: None,
            waiting: 0,
            tasks: Vec::new(),
            pollers: Vec::new(),
        };
        for (arn, waiting) in depths.into_iter().filter(|(arn, _)| self.sees(arn)) {
            queues.entry(arn.clone()).or_insert_with(|| unknown(&arn)).waiting = waiting;
        }
        for (arn, tasks) in self.inner.activities.waiting(SHOWN_TASKS) {
            if let Some(queue) = queues.get_mut(&arn) {
                queue.tasks = tasks;
            }
        }
        for poller in self.inner.activities.pollers() {
            if let Some(queue) = queues.get_mut(&poller.activity_arn) {
                queue.pollers.push(poller);
            }
        }
        Ok(queues.into_values().collect())
    }
}

impl Activities {
    /// Queues a task of the execution `execution_arn` for the activity's workers.
    pub(crate) fn enqueue(&self, arn: &str, token: String, input: String, execution_arn: &str) {
        let waiting = QueuedTask { execution_arn: execution_arn.to_owned(), since: now() };
        self.lock().entry(arn.to_owned()).or_default().push_back(Queued { task: ActivityTask { token, input }, waiting });
        self.arrived.notify_waiters();
    }

    /// Registers a GetActivityTask call waiting on `arn`, until the returned guard is dropped.
    fn polling(&self, arn: &str, worker: Option<String>) -> Polling<'_> {
        let id = self.next_poller.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let poller = Poller { activity_arn: arn.to_owned(), worker: worker.filter(|name| !name.is_empty()), since: now() };
        self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id, poller);
        Polling { activities: self, id }
    }

    /// The workers polling now, longest waiting first.
    fn pollers(&self) -> Vec<Poller> {
        self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values().cloned().collect()
    }

    /// The oldest `most` tasks waiting of each activity that has some, by activity ARN.
    fn waiting(&self, most: usize) -> Vec<(String, Vec<QueuedTask>)> {
        self.lock()
            .iter()
            .filter(|(_, queue)| !queue.is_empty())
            .map(|(arn, queue)| (arn.clone(), queue.iter().take(most).map(|queued| queued.waiting.clone()).collect()))
            .collect()
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
            if let Some(queued) = self.lock().get_mut(arn).and_then(VecDeque::pop_front) {
                return Some(queued.task);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, VecDeque<Queued>>> {
        // The queues stay consistent across a panic elsewhere; keep using them.
        self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
