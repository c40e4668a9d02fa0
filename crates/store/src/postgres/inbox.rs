//! Reaching an execution from any node: task tokens, activity tasks waiting for workers, the inbox of messages for
//! the node that holds an execution, and the notifications that wake each of them (`LISTEN`/`NOTIFY`).
//!
//! Steps write tokens, activity tasks and the answers of the messages they commit (`steps::route`). A message posted
//! here wakes the node that holds its execution (`INBOX_CHANNEL`, with that node's id); an answer wakes its sender
//! (`ANSWER_CHANNEL`, with the message's id); a new activity task wakes the long polls (`ACTIVITY_CHANNEL`, with the
//! activity's ARN). Notifications only hurry things: the runtime also polls, so a lost one (a listener reconnecting)
//! delays and loses nothing.

use std::future::poll_fn;

use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::postgres::{Postgres, backend, db};
use crate::{Error, InboxMessage};

/// The channel that tells a node (the payload: its id) that a message waits for it.
pub const INBOX_CHANNEL: &str = "baton_inbox";
/// The channel that tells a sender (the payload: the message's id) that its message was answered.
pub const ANSWER_CHANNEL: &str = "baton_answer";
/// The channel that tells workers' long polls (the payload: the activity's ARN) that a task was scheduled.
pub const ACTIVITY_CHANNEL: &str = "baton_activity";

/// A notification: its channel and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub channel: String,
    pub payload: String,
}

/// An activity task a worker took: its token and input, and the inbox message that tells its execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenTask {
    pub token: String,
    pub execution_arn: String,
    pub input: String,
    pub message: i64,
}

impl Postgres {
    /// The execution and task of an open task token.
    pub async fn token(&self, token: &str) -> Result<Option<(String, u64)>, Error> {
        let row = self
            .reader()
            .await?
            .query_opt("SELECT execution_arn, task FROM baton_tokens WHERE token = $1", &[&token])
            .await
            .map_err(db)?;
        row.map(|row| Ok((row.try_get(0).map_err(db)?, u64::try_from(row.try_get::<_, i64>(1).map_err(db)?).unwrap_or(0))))
            .transpose()
    }

    /// Posts `message` (JSON text) for execution `arn` and wakes the node that holds it; returns the message's id.
    pub async fn post(&self, arn: &str, message: &str, created: i64) -> Result<i64, Error> {
        let row = self.reader().await?.query_one(&post_sql(), &[&arn, &message, &created]).await.map_err(db)?;
        row.try_get(0).map_err(db)
    }

    /// The unanswered messages for the executions node `id` holds, oldest first.
    pub async fn inbox(&self, id: &str) -> Result<Vec<InboxMessage>, Error> {
        let sql = "SELECT i.id, i.execution_arn, i.message FROM baton_inbox i JOIN executions e ON e.arn = i.execution_arn \
                   WHERE i.answer IS NULL AND e.owner = $1 ORDER BY i.id LIMIT 1000";
        let rows = self.reader().await?.query(sql, &[&id]).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(InboxMessage {
                    id: row.try_get(0).map_err(db)?,
                    execution_arn: row.try_get(1).map_err(db)?,
                    message: row.try_get(2).map_err(db)?,
                })
            })
            .collect()
    }

    /// Answers message `id` (JSON text), unless it was answered already, and wakes its sender.
    pub async fn answer(&self, id: i64, answer: &str) -> Result<(), Error> {
        let sql = format!(
            "WITH a AS (UPDATE baton_inbox SET answer = $2 WHERE id = $1 AND answer IS NULL RETURNING id) \
             SELECT pg_notify('{ANSWER_CHANNEL}', id::TEXT) FROM a"
        );
        self.reader().await?.query(&sql, &[&id, &answer]).await.map_err(db)?;
        Ok(())
    }

    /// The answer of message `id` once there is one, taking the message out of the inbox then.
    pub async fn take_answer(&self, id: i64) -> Result<Option<String>, Error> {
        let row = self
            .reader()
            .await?
            .query_opt("DELETE FROM baton_inbox WHERE id = $1 AND answer IS NOT NULL RETURNING answer", &[&id])
            .await
            .map_err(db)?;
        row.map(|row| row.try_get(0).map_err(db)).transpose()
    }

    /// Withdraws message `id` if nobody answered it yet; whether it did.
    pub async fn withdraw(&self, id: i64) -> Result<bool, Error> {
        let count = self
            .reader()
            .await?
            .execute("DELETE FROM baton_inbox WHERE id = $1 AND answer IS NULL", &[&id])
            .await
            .map_err(db)?;
        Ok(count > 0)
    }

    /// Takes the oldest waiting task of activity `activity_arn`, if any, and posts (in the same transaction) the
    /// message `started(token)` that tells its execution a worker has it. A task taken is not handed out again.
    pub async fn take_activity_task(
        &self,
        activity_arn: &str,
        created: i64,
        started: impl Fn(&str) -> String,
    ) -> Result<Option<TakenTask>, Error> {
        let mut conn = self.reader().await?;
        conn.begin("BEGIN").await.map_err(db)?;
        let taken = async {
            let row = conn
                .query_opt(
                    "UPDATE baton_activity_tasks SET taken = TRUE WHERE seq = (SELECT seq FROM baton_activity_tasks \
                     WHERE activity_arn = $1 AND NOT taken ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) \
                     RETURNING token, execution_arn, input",
                    &[&activity_arn],
                )
                .await?;
            let Some(row) = row else { return Ok(None) };
            let (token, execution_arn, input): (String, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let message = conn.query_one(&post_sql(), &[&execution_arn, &started(&token), &created]).await?.try_get(0)?;
            Ok(Some(TakenTask { token, execution_arn, input, message }))
        }
        .await;
        let ended = if taken.is_ok() { conn.commit().await } else { conn.rollback().await };
        let taken = taken.map_err(db)?;
        ended.map_err(db)?;
        Ok(taken)
    }

    /// Listens on the inbox, answer and activity channels over a connection of its own, until the `Listener` is
    /// dropped or the connection ends (its notices then yield `None`: listen again).
    pub async fn listen(&self) -> Result<Listener, Error> {
        let (client, mut connection) = self
            .readers
            .config
            .connect(NoTls)
            .await
            .map_err(|e| backend(format!("cannot connect to PostgreSQL: {e}")))?;
        let (sender, notices) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(notice)) => {
                        let notice = Notice { channel: notice.channel().to_owned(), payload: notice.payload().to_owned() };
                        if sender.send(notice).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {INBOX_CHANNEL}; LISTEN {ANSWER_CHANNEL}; LISTEN {ACTIVITY_CHANNEL}"))
            .await
            .map_err(db)?;
        Ok(Listener { _client: client, notices })
    }
}

/// Inserts an inbox message (`$1` the execution's ARN, `$2` the message, `$3` when) and wakes the node that holds
/// the execution; answers the message's id.
fn post_sql() -> String {
    format!(
        "WITH m AS (INSERT INTO baton_inbox (execution_arn, message, created) VALUES ($1, $2, $3) RETURNING id) \
         SELECT m.id, pg_notify('{INBOX_CHANNEL}', coalesce((SELECT owner FROM executions WHERE arn = $1), '')) \
         FROM m"
    )
}

/// A connection listening for notifications (`Postgres::listen`); dropping it ends the session.
pub struct Listener {
    _client: tokio_postgres::Client,
    pub notices: mpsc::UnboundedReceiver<Notice>,
}
