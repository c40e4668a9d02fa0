//! Calls that reach an execution another node holds, on a shared store: the message goes to the inbox in the
//! database, the node that holds the execution hands it to its actor exactly as if the call had come to it, and the
//! step that commits the change answers the message in the same transaction; the node that took the call answers its
//! caller then.
//!
//! Notifications (`LISTEN`/`NOTIFY`, read by `listen`) wake the holder when a message arrives, the sender when its
//! answer is written, and workers' long polls when an activity task is queued; every wait also looks again on its
//! own (the holder every `POLL`), so a lost notification only delays. A message for an execution that ends before its
//! holder handles it is answered as ended (`Delivery::Ended`); one that nobody handles in `ANSWER_WITHIN` is withdrawn
//! and the call fails.

use std::collections::HashSet;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;

use store::{InboxMessage, Status, Store};

use crate::service::{Error, Inner, Service, UpdateMapRun, internal, lock, now};

/// How often the holder looks at its inbox without a notification.
const POLL: Duration = Duration::from_millis(500);
/// How often a sender looks for its answer without a notification, and whether the execution still runs.
const LOOK: Duration = Duration::from_millis(250);
/// How long a sender waits for its message to be handled (its execution's node may have died: another takes it over
/// within the lease).
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// What woke whom: the notifications of the shared store, as `Notify`s, and the inbox messages being handled here.
#[derive(Default)]
pub(crate) struct Notices {
    /// A message for this node.
    pub(crate) inbox: Notify,
    /// Some message was answered.
    pub(crate) answers: Notify,
    /// Some activity task was queued.
    pub(crate) activities: Notify,
    /// The inbox messages this node is handling, so that a look at the inbox meanwhile does not hand them out twice.
    pub(crate) handling: Mutex<HashSet<i64>>,
}

/// What became of a message sent to another node.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// The holder handled it: the change is committed, or why not.
    Answered(Result<(), Error>),
    /// The execution ended before anyone handled it.
    Ended,
}

impl Service {
    /// Sends `message` to the node that holds execution `arn`, and waits for the answer.
    pub(crate) async fn remote(&self, arn: &str, message: &Value) -> Result<Delivery, Error> {
        let id = self.inner.store.post(arn, &message.to_string(), now()).await.map_err(internal)?;
        self.await_answer(arn, id).await
    }

    /// `remote` for a call that names a task token: the token's execution, found in the store, gets the message; a
    /// token the store does not know fails as `local` (the error this node found for it).
    pub(crate) async fn remote_token(&self, token: &str, message: &Value, local: Error) -> Result<(), Error> {
        let Some((arn, _)) = self.inner.store.token(token).await.map_err(internal)? else { return Err(local) };
        if !self.sees(&arn) {
            return Err(local);
        }
        match self.remote(&arn, message).await? {
            Delivery::Answered(result) => result,
            Delivery::Ended => Err(Error::TaskDoesNotExist(format!("Task Does Not Exist: '{token}'"))),
        }
    }

    /// Waits for the answer of inbox message `id` for execution `arn`.
    pub(crate) async fn await_answer(&self, arn: &str, id: i64) -> Result<Delivery, Error> {
        let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
        loop {
            let answered = self.inner.notices.answers.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            if let Some(answer) = self.inner.store.take_answer(id).await.map_err(internal)? {
                return Ok(read_answer(&answer));
            }
            let running = self.inner.store.execution(arn).await.map_err(internal)?.is_some_and(|e| e.status == Status::Running);
            if !running && self.inner.store.withdraw(id).await.map_err(internal)? {
                return Ok(Delivery::Ended);
            }
            if tokio::time::Instant::now() >= deadline {
                if self.inner.store.withdraw(id).await.map_err(internal)? {
                    return Err(Error::Internal(format!("no server took the call for {arn} in time; try again")));
                }
                continue;
            }
            tokio::select! {
                () = answered => {}
                () = tokio::time::sleep(LOOK) => {}
            }
        }
    }

    /// Hands the messages waiting for this node's executions to their actors, each once, and answers each when its
    /// change is committed (or why not). A message for an execution this node holds but has not made live yet waits
    /// for the next look.
    pub(crate) async fn serve_inbox(&self) -> Result<(), Error> {
        let waiting = self.inner.store.inbox(&self.inner.node).await.map_err(internal)?;
        for message in waiting {
            if !lock(&self.inner.live).contains_key(&message.execution_arn) {
                let running = self.inner.store.execution(&message.execution_arn).await.map_err(internal)?;
                if running.is_some_and(|e| e.status == Status::Running) {
                    // Held here but not live: parked (a stop or a Map Run's update wakes it, `Service::deliver`), or
                    // claimed and about to be (a message for a task token waits for that).
                    let body = serde_json::from_str::<Value>(&message.message).unwrap_or_default();
                    let kind = body.get("kind").and_then(Value::as_str);
                    if !matches!(kind, Some("stop" | "update_map_run")) {
                        continue;
                    }
                } else {
                    self.inner.store.answer(message.id, &json!({"ended": true}).to_string()).await.map_err(internal)?;
                    continue;
                }
            }
            if !lock(&self.inner.notices.handling).insert(message.id) {
                continue;
            }
            let service = self.clone();
            tokio::spawn(async move {
                let id = message.id;
                let result = service.handle(&message).await;
                let answer = match result {
                    Ok(()) => json!({"ok": true}),
                    Err(error) => json!({"error": error.code(), "message": error.to_string()}),
                };
                if let Err(error) = service.inner.store.answer(id, &answer.to_string()).await {
                    tracing::warn!(%error, id, "cannot answer an inbox message; its sender waits");
                }
                lock(&service.inner.notices.handling).remove(&id);
            });
        }
        Ok(())
    }

    /// Handles one message as if its call had come to this node.
    async fn handle(&self, message: &InboxMessage) -> Result<(), Error> {
        let inbox = Some(message.id);
        let body: Value = serde_json::from_str(&message.message)
            .map_err(|error| Error::Internal(format!("an unreadable inbox message: {error}")))?;
        let text = |field: &str| body.get(field).and_then(Value::as_str).map(str::to_owned);
        let token = text("token").unwrap_or_default();
        if !token.is_empty() {
            self.await_token(&token, &message.execution_arn).await;
        }
        match body.get("kind").and_then(Value::as_str) {
            Some("success") => self.complete(&token, Ok(body.get("output").cloned().unwrap_or(Value::Null)), inbox).await,
            Some("failure") => {
                let failure = asl::Failure { error: text("error").unwrap_or_default(), cause: text("cause") };
                self.complete(&token, Err(failure), inbox).await
            }
            Some("heartbeat") => self.heartbeat(&token, inbox).await,
            Some("started") => self.started(&token, text("worker").unwrap_or_default(), inbox).await,
            Some("stop") => self.stop(&message.execution_arn, text("error"), text("cause"), inbox).await.map(|_| ()),
            Some("update_map_run") => {
                let request = UpdateMapRun {
                    map_run_arn: text("map_run_arn").unwrap_or_default(),
                    max_concurrency: body.get("max_concurrency").and_then(Value::as_u64),
                    tolerated_failure_count: body.get("tolerated_failure_count").and_then(Value::as_u64),
                    tolerated_failure_percentage: body.get("tolerated_failure_percentage").and_then(Value::as_f64),
                };
                self.update_map_run_at(request, inbox).await
            }
            other => Err(Error::Internal(format!("an inbox message of unknown kind {other:?}"))),
        }
    }
}

impl Service {
    /// Waits a little for this node to open `token`: the step that handed it out is committed (other nodes could
    /// read it) a moment before the actor opens it here.
    async fn await_token(&self, token: &str, arn: &str) {
        for _ in 0..TOKEN_TRIES {
            if self.inner.callbacks.get(token).is_some() || !lock(&self.inner.live).contains_key(arn) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// How many times (10 ms apart) a message with a token waits for this node to open it.
const TOKEN_TRIES: usize = 100;

/// An answer as the holder wrote it.
fn read_answer(answer: &str) -> Delivery {
    let Ok(body) = serde_json::from_str::<Value>(answer) else {
        return Delivery::Answered(Err(Error::Internal(format!("an unreadable answer: {answer}"))));
    };
    if body.get("ended").is_some() {
        return Delivery::Ended;
    }
    match body.get("error").and_then(Value::as_str) {
        None => Delivery::Answered(Ok(())),
        Some(code) => {
            let message = body.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
            Delivery::Answered(Err(Error::from_code(code, message)))
        }
    }
}

/// Hands out the shared store's notifications while the service lives, listening again after a lost connection.
pub(crate) async fn listen(inner: Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let listening = strong.store.listen().await;
        drop(strong);
        match listening {
            Ok(mut listening) => {
                while let Some((channel, payload)) = listening.next().await {
                    let Some(inner) = inner.upgrade() else { return };
                    match channel.as_str() {
                        store::channels::INBOX if payload == *inner.node => inner.notices.inbox.notify_one(),
                        store::channels::ANSWER => inner.notices.answers.notify_waiters(),
                        store::channels::ACTIVITY => inner.notices.activities.notify_waiters(),
                        _ => {}
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot listen for notifications; looking every now and then instead"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Serves this node's inbox while the service lives: on each notification for it, and every `POLL`.
pub(crate) async fn serve(inner: Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else { return };
        if strong.shutting_down() {
            return;
        }
        let service = Service { inner: strong, account: None };
        if let Err(error) = service.serve_inbox().await {
            tracing::warn!(%error, "cannot read this node's inbox now");
        }
        let notices = service.inner.notices.clone();
        drop(service);
        tokio::select! {
            () = notices.inbox.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
