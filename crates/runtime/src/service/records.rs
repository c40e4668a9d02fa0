//! The records the service takes and answers: state machines, executions, versions, aliases, activities, and pages
//! of them.
//!
//! They are the runtime's own, not the store's rows: the server (and any other caller of `Service`) sees only these,
//! so it needs no `store` and the store may change its rows without the server noticing. Each has the fields of the
//! row it comes from, with the same names and meanings; the conversions both ways live here (`From`), and the service
//! converts where it reads from or writes to the store.

/// Workflow type of a state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Standard,
    Express,
}

/// A state machine. Timestamps are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    pub arn: String,
    pub name: String,
    pub kind: Kind,
    pub definition: String,
    pub role_arn: String,
    /// `loggingConfiguration`, `tracingConfiguration` as the API received them (JSON text), kept for Describe.
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub description: Option<String>,
    /// Changes on every update.
    pub revision_id: String,
    pub created: i64,
    pub updated: i64,
    /// Tags as (key, value), in insertion order.
    pub tags: Vec<(String, String)>,
    /// `encryptionConfiguration` as the service keeps it (JSON text); `None` when none was given.
    pub encryption_configuration: Option<String>,
}

/// How an execution ended, or that it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

/// An execution. Timestamps are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub state_machine_arn: String,
    /// The definition it runs (a snapshot: updating the machine does not change running executions).
    pub definition: String,
    pub role_arn: String,
    pub kind: Kind,
    pub input: String,
    pub trace_header: Option<String>,
    pub status: Status,
    pub start: i64,
    pub stop: Option<i64>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The version it runs, when started through a version or an alias (`…:stateMachine:<name>:<n>`).
    pub version_arn: Option<String>,
    /// The alias it was started through, if any.
    pub alias_arn: Option<String>,
    /// How many times the execution was redriven, and when last.
    pub redrive_count: u32,
    pub redrive_date: Option<i64>,
    /// The replay format of the engine that wrote its triggers (`engine::REPLAY_VERSION`); 0 before it was recorded.
    pub engine_version: u32,
    /// The Map Run whose child execution this is, if it is one.
    pub map_run_arn: Option<String>,
}

/// A task of a running execution that waits for its task token: a callback (`.waitForTaskToken`) whose request was
/// made, or an activity task a worker took. `SendTaskSuccess` or `SendTaskFailure` with the token completes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingTask {
    pub token: String,
    pub state_name: String,
    pub resource: String,
    /// The id of the event that scheduled it (`TaskScheduled`, `ActivityScheduled`, …) in the execution's history.
    pub scheduled_event: Option<u64>,
    /// An activity task (else a callback).
    pub activity: bool,
}

/// A published state machine version: an immutable snapshot of a revision. Its ARN is the machine's ARN and
/// `:<number>`; numbers start at 1 and are never reused, even after a version is deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub state_machine_arn: String,
    pub number: u64,
    pub definition: String,
    pub role_arn: String,
    /// The machine's revision it snapshots.
    pub revision_id: String,
    pub description: Option<String>,
    pub created: i64,
}

impl Version {
    /// `<state machine ARN>:<number>`.
    pub fn arn(&self) -> String {
        format!("{}:{}", self.state_machine_arn, self.number)
    }
}

/// One route of an alias: a version ARN and its weight (0..=100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub version_arn: String,
    pub weight: u32,
}

/// A state machine alias: a name (`…:stateMachine:<name>:<alias>`) that routes executions to one or two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub description: Option<String>,
    pub routing: Vec<Route>,
    pub created: i64,
    pub updated: i64,
}

/// An activity: a named task queue that workers poll. Its ARN is `…:activity:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub arn: String,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created: i64,
    /// Tags as (key, value), in insertion order.
    pub tags: Vec<(String, String)>,
    /// `encryptionConfiguration` as the service keeps it (JSON text); `None` when none was given.
    pub encryption_configuration: Option<String>,
}

/// A page request: at most `limit` items after the position `token` names (0 is the default page size).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub token: Option<String>,
    pub limit: usize,
}

/// A page of items and the token of the next page, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl From<store::Kind> for Kind {
    fn from(kind: store::Kind) -> Kind {
        match kind {
            store::Kind::Standard => Kind::Standard,
            store::Kind::Express => Kind::Express,
        }
    }
}

impl From<Kind> for store::Kind {
    fn from(kind: Kind) -> store::Kind {
        match kind {
            Kind::Standard => store::Kind::Standard,
            Kind::Express => store::Kind::Express,
        }
    }
}

impl From<store::Status> for Status {
    fn from(status: store::Status) -> Status {
        match status {
            store::Status::Running => Status::Running,
            store::Status::Succeeded => Status::Succeeded,
            store::Status::Failed => Status::Failed,
            store::Status::TimedOut => Status::TimedOut,
            store::Status::Aborted => Status::Aborted,
        }
    }
}

impl From<Status> for store::Status {
    fn from(status: Status) -> store::Status {
        match status {
            Status::Running => store::Status::Running,
            Status::Succeeded => store::Status::Succeeded,
            Status::Failed => store::Status::Failed,
            Status::TimedOut => store::Status::TimedOut,
            Status::Aborted => store::Status::Aborted,
        }
    }
}

impl From<store::StateMachine> for StateMachine {
    fn from(row: store::StateMachine) -> StateMachine {
        let store::StateMachine {
            arn,
            name,
            kind,
            definition,
            role_arn,
            logging_configuration,
            tracing_configuration,
            description,
            revision_id,
            created,
            updated,
            tags,
            encryption_configuration,
        } = row;
        StateMachine {
            arn,
            name,
            kind: kind.into(),
            definition,
            role_arn,
            logging_configuration,
            tracing_configuration,
            description,
            revision_id,
            created,
            updated,
            tags,
            encryption_configuration,
        }
    }
}

impl From<StateMachine> for store::StateMachine {
    fn from(machine: StateMachine) -> store::StateMachine {
        let StateMachine {
            arn,
            name,
            kind,
            definition,
            role_arn,
            logging_configuration,
            tracing_configuration,
            description,
            revision_id,
            created,
            updated,
            tags,
            encryption_configuration,
        } = machine;
        store::StateMachine {
            arn,
            name,
            kind: kind.into(),
            definition,
            role_arn,
            logging_configuration,
            tracing_configuration,
            description,
            revision_id,
            created,
            updated,
            tags,
            encryption_configuration,
        }
    }
}

impl From<store::Execution> for Execution {
    fn from(row: store::Execution) -> Execution {
        let store::Execution {
            arn,
            name,
            state_machine_arn,
            definition,
            role_arn,
            kind,
            input,
            trace_header,
            status,
            start,
            stop,
            output,
            error,
            cause,
            version_arn,
            alias_arn,
            redrive_count,
            redrive_date,
            engine_version,
            map_run_arn,
        } = row;
        Execution {
            arn,
            name,
            state_machine_arn,
            definition,
            role_arn,
            kind: kind.into(),
            input,
            trace_header,
            status: status.into(),
            start,
            stop,
            output,
            error,
            cause,
            version_arn,
            alias_arn,
            redrive_count,
            redrive_date,
            engine_version,
            map_run_arn,
        }
    }
}

impl From<Execution> for store::Execution {
    fn from(execution: Execution) -> store::Execution {
        let Execution {
            arn,
            name,
            state_machine_arn,
            definition,
            role_arn,
            kind,
            input,
            trace_header,
            status,
            start,
            stop,
            output,
            error,
            cause,
            version_arn,
            alias_arn,
            redrive_count,
            redrive_date,
            engine_version,
            map_run_arn,
        } = execution;
        store::Execution {
            arn,
            name,
            state_machine_arn,
            definition,
            role_arn,
            kind: kind.into(),
            input,
            trace_header,
            status: status.into(),
            start,
            stop,
            output,
            error,
            cause,
            version_arn,
            alias_arn,
            redrive_count,
            redrive_date,
            engine_version,
            map_run_arn,
        }
    }
}

impl From<store::Version> for Version {
    fn from(row: store::Version) -> Version {
        let store::Version { state_machine_arn, number, definition, role_arn, revision_id, description, created } = row;
        Version { state_machine_arn, number, definition, role_arn, revision_id, description, created }
    }
}

impl From<Version> for store::Version {
    fn from(version: Version) -> store::Version {
        let Version { state_machine_arn, number, definition, role_arn, revision_id, description, created } = version;
        store::Version { state_machine_arn, number, definition, role_arn, revision_id, description, created }
    }
}

impl From<store::Route> for Route {
    fn from(row: store::Route) -> Route {
        Route { version_arn: row.version_arn, weight: row.weight }
    }
}

impl From<Route> for store::Route {
    fn from(route: Route) -> store::Route {
        store::Route { version_arn: route.version_arn, weight: route.weight }
    }
}

impl From<store::Alias> for Alias {
    fn from(row: store::Alias) -> Alias {
        let store::Alias { arn, state_machine_arn, name, description, routing, created, updated } = row;
        let routing = routing.into_iter().map(Route::from).collect();
        Alias { arn, state_machine_arn, name, description, routing, created, updated }
    }
}

impl From<Alias> for store::Alias {
    fn from(alias: Alias) -> store::Alias {
        let Alias { arn, state_machine_arn, name, description, routing, created, updated } = alias;
        let routing = routing.into_iter().map(store::Route::from).collect();
        store::Alias { arn, state_machine_arn, name, description, routing, created, updated }
    }
}

impl From<store::Activity> for Activity {
    fn from(row: store::Activity) -> Activity {
        let store::Activity { arn, name, created, tags, encryption_configuration } = row;
        Activity { arn, name, created, tags, encryption_configuration }
    }
}

impl From<Activity> for store::Activity {
    fn from(activity: Activity) -> store::Activity {
        let Activity { arn, name, created, tags, encryption_configuration } = activity;
        store::Activity { arn, name, created, tags, encryption_configuration }
    }
}

impl From<store::PageRequest> for PageRequest {
    fn from(row: store::PageRequest) -> PageRequest {
        PageRequest { token: row.token, limit: row.limit }
    }
}

impl From<PageRequest> for store::PageRequest {
    fn from(page: PageRequest) -> store::PageRequest {
        store::PageRequest { token: page.token, limit: page.limit }
    }
}

impl<S, T: From<S>> From<store::Page<S>> for Page<T> {
    fn from(page: store::Page<S>) -> Page<T> {
        Page { items: page.items.into_iter().map(T::from).collect(), next_token: page.next_token }
    }
}

#[cfg(test)]
mod tests {
    use super::{Activity, Alias, Execution, Kind, Page, PageRequest, Route, StateMachine, Status, Version};

    /// Every field survives the trip to the store's row and back: a field added to one side and not the other
    /// fails to compile in the destructuring conversions, and a field mixed up fails here.
    #[test]
    fn records_go_to_the_store_and_back_unchanged() {
        let machine = StateMachine {
            arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
            name: "m".to_owned(),
            kind: Kind::Express,
            definition: "{}".to_owned(),
            role_arn: "role".to_owned(),
            logging_configuration: Some("logging".to_owned()),
            tracing_configuration: Some("tracing".to_owned()),
            description: Some("described".to_owned()),
            revision_id: "r".to_owned(),
            created: 1,
            updated: 2,
            tags: vec![("k".to_owned(), "v".to_owned())],
            encryption_configuration: Some("encrypted".to_owned()),
        };
        assert_eq!(StateMachine::from(store::StateMachine::from(machine.clone())), machine);

        let execution = Execution {
            arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".to_owned(),
            name: "e".to_owned(),
            state_machine_arn: machine.arn.clone(),
            definition: "{}".to_owned(),
            role_arn: "role".to_owned(),
            kind: Kind::Standard,
            input: "{\"in\":1}".to_owned(),
            trace_header: Some("trace".to_owned()),
            status: Status::TimedOut,
            start: 3,
            stop: Some(4),
            output: Some("out".to_owned()),
            error: Some("error".to_owned()),
            cause: Some("cause".to_owned()),
            version_arn: Some("version".to_owned()),
            alias_arn: Some("alias".to_owned()),
            redrive_count: 5,
            redrive_date: Some(6),
            engine_version: 7,
            map_run_arn: Some("map run".to_owned()),
        };
        assert_eq!(Execution::from(store::Execution::from(execution.clone())), execution);
        for status in [Status::Running, Status::Succeeded, Status::Failed, Status::TimedOut, Status::Aborted] {
            assert_eq!(Status::from(store::Status::from(status)), status);
        }
        for kind in [Kind::Standard, Kind::Express] {
            assert_eq!(Kind::from(store::Kind::from(kind)), kind);
        }

        let version = Version {
            state_machine_arn: machine.arn.clone(),
            number: 8,
            definition: "{}".to_owned(),
            role_arn: "role".to_owned(),
            revision_id: "r".to_owned(),
            description: Some("v".to_owned()),
            created: 9,
        };
        assert_eq!(Version::from(store::Version::from(version.clone())), version);
        assert_eq!(store::Version::from(version.clone()).arn(), version.arn());

        let alias = Alias {
            arn: format!("{}:live", machine.arn),
            state_machine_arn: machine.arn.clone(),
            name: "live".to_owned(),
            description: Some("a".to_owned()),
            routing: vec![Route { version_arn: version.arn(), weight: 60 }, Route { version_arn: "other".to_owned(), weight: 40 }],
            created: 10,
            updated: 11,
        };
        assert_eq!(Alias::from(store::Alias::from(alias.clone())), alias);

        let activity = Activity {
            arn: "arn:aws:states:us-east-1:123456789012:activity:a".to_owned(),
            name: "a".to_owned(),
            created: 12,
            tags: vec![("k".to_owned(), "v".to_owned())],
            encryption_configuration: Some("encrypted".to_owned()),
        };
        assert_eq!(Activity::from(store::Activity::from(activity.clone())), activity);

        let request = PageRequest { token: Some("7".to_owned()), limit: 13 };
        assert_eq!(PageRequest::from(store::PageRequest::from(request.clone())), request);
        let page: Page<Version> =
            store::Page { items: vec![store::Version::from(version.clone())], next_token: Some("t".to_owned()) }.into();
        assert_eq!(page, Page { items: vec![version], next_token: Some("t".to_owned()) });
    }
}
