//! State machine versions and aliases: PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion, Create/Describe/Update/Delete/ListStateMachineAliases, `publish` on Create and
//! UpdateStateMachine, DescribeStateMachine of a version, and which definition an execution started through a
//! version or alias ARN runs (`resolve_target`).
//!
//! A version (`…:stateMachine:<name>:<n>`) is an immutable snapshot of one revision of a machine; publishing a revision
//! that already has a version returns that version. An alias (`…:stateMachine:<name>:<alias>`) routes executions to
//! one or two versions of its machine by weight. What AWS answers was checked against LocalStack's snapshots recorded
//! on AWS (messages of ConflictException, routing errors, deletion rules); ARN syntax checks beyond that are Baton's.
//!
//! Not here: listing executions by version or alias ARN, and the quota of 1,000 versions per machine.

use store::{Publish, Store};

use crate::service::{
    Alias, CreateStateMachine, Error, Page, PageRequest, Revision, Route, Service, StateMachine, UpdateStateMachine, Version,
    internal, names, now, paging,
};

/// What an execution runs: the machine (with the version's definition and role when started through a version or
/// alias) and the version and alias ARNs it records.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) machine: StateMachine,
    pub(crate) version_arn: Option<String>,
    pub(crate) alias_arn: Option<String>,
}

/// `CreateStateMachineAlias`.
#[derive(Debug, Clone, Default)]
pub struct CreateAlias {
    pub name: String,
    pub description: Option<String>,
    pub routing: Vec<Route>,
}

/// `UpdateStateMachineAlias`: what is `Some` changes.
#[derive(Debug, Clone, Default)]
pub struct UpdateAlias {
    pub arn: String,
    pub description: Option<String>,
    pub routing: Option<Vec<Route>>,
}

/// `publish` and `versionDescription` of CreateStateMachine and UpdateStateMachine.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub publish: bool,
    pub version_description: Option<String>,
}

/// What an ARN under `…:stateMachine:<name>` names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Qualifier {
    Machine,
    Version(u64),
    Alias(String),
}

impl Service {
    /// CreateStateMachine, publishing its first revision as a version when asked; returns the version ARN too.
    pub async fn create_state_machine_published(
        &self,
        request: CreateStateMachine,
        options: PublishOptions,
    ) -> Result<(StateMachine, Option<String>), Error> {
        check_options(&options)?;
        let machine = self.create_state_machine(request).await?;
        let version = self.publish_if(&machine, options).await?;
        Ok((machine, version))
    }

    /// UpdateStateMachine, publishing the new revision as a version when asked; returns the version ARN too.
    pub async fn update_state_machine_published(
        &self,
        request: UpdateStateMachine,
        options: PublishOptions,
    ) -> Result<(StateMachine, Option<String>), Error> {
        check_options(&options)?;
        // With `publish`, AWS publishes a new version (with the new description) even when nothing changed. Versions
        // snapshot revisions, and publishing a revision that has a version returns that one, so the update is a new
        // revision then (whether AWS also gives it a new revisionId is not documented; this is a guess).
        let revision = if options.publish { Revision::Always } else { Revision::IfChanged };
        let machine = self.update(request, revision).await?;
        let version = self.publish_if(&machine, options).await?;
        Ok((machine, version))
    }

    /// `PublishStateMachineVersion`: the machine's current revision as a version (the existing one if that revision
    /// was published). With `revision_id`, only if the machine is still at that revision (`ConflictException`).
    pub async fn publish_state_machine_version(
        &self,
        arn: &str,
        revision_id: Option<String>,
        description: Option<String>,
    ) -> Result<Version, Error> {
        let machine = self.describe_state_machine(arn).await?;
        let revision_id = revision_id.unwrap_or(machine.revision_id);
        let publish = Publish { state_machine_arn: machine.arn, revision_id, description, created: now() };
        self.publish(publish).await
    }

    /// `ListStateMachineVersions`, newest first.
    pub async fn list_state_machine_versions(&self, arn: &str, page: PageRequest) -> Result<Page<Version>, Error> {
        names::state_machine_name(arn)?;
        self.inner.store.list_versions(arn, page.into()).await.map(Page::from).map_err(paging)
    }

    /// `DeleteStateMachineVersion`: deleting a version that does not exist succeeds; one an alias routes to is
    /// `ConflictException`. Its running executions finish.
    pub async fn delete_state_machine_version(&self, arn: &str) -> Result<(), Error> {
        let (machine, number) = version_arn(arn)?;
        match self.inner.store.delete_version(machine, number).await {
            Ok(()) | Err(store::Error::NotFound(_)) => Ok(()),
            Err(store::Error::VersionInUse { aliases, .. }) => Err(Error::ConflictException(format!(
                "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this \
                 version: [{}]",
                aliases.join(", ")
            ))),
            Err(error) => Err(internal(error)),
        }
    }

    /// DescribeStateMachine of a machine or of a version: a version reads as its machine with the version's ARN,
    /// definition, role, revision, description and creation date.
    pub async fn describe_state_machine_or_version(&self, arn: &str) -> Result<StateMachine, Error> {
        let (machine_arn, qualifier) = qualified(arn)?;
        match qualifier {
            Qualifier::Machine => self.describe_state_machine(arn).await,
            Qualifier::Version(number) => {
                let machine = self.stored_machine(machine_arn).await?.ok_or_else(|| machine_missing(arn))?;
                let version =
                    self.inner.store.version(machine_arn, number).await.map_err(internal)?.ok_or_else(|| machine_missing(arn))?;
                Ok(as_machine(machine, version.into()))
            }
            Qualifier::Alias(_) => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
        }
    }

    /// What `ListExecutions` of `arn` lists: the machine's ARN, and the version's or alias's ARN to filter by when
    /// `arn` names one (which must exist).
    pub(crate) async fn executions_target(&self, arn: &str) -> Result<(String, Option<String>), Error> {
        let (machine_arn, qualifier) = qualified(arn)?;
        match qualifier {
            Qualifier::Machine => Ok((arn.to_owned(), None)),
            Qualifier::Version(_) => {
                self.describe_state_machine_or_version(arn).await?;
                Ok((machine_arn.to_owned(), Some(arn.to_owned())))
            }
            Qualifier::Alias(_) => {
                self.describe_state_machine_alias(arn).await?;
                Ok((machine_arn.to_owned(), Some(arn.to_owned())))
            }
        }
    }

    /// `CreateStateMachineAlias`: idempotent for the same description and routing; the machine is the one the routed
    /// versions belong to.
    pub async fn create_state_machine_alias(&self, request: CreateAlias) -> Result<Alias, Error> {
        check_alias_name(&request.name)?;
        let machine_arn = check_routing(&request.routing)?;
        self.stored_machine(&machine_arn).await?.ok_or_else(not_found)?;
        let now = now();
        let alias = Alias {
            arn: format!("{machine_arn}:{}", request.name),
            state_machine_arn: machine_arn,
            name: request.name,
            description: request.description,
            routing: request.routing,
            created: now,
            updated: now,
        };
        match self.inner.store.create_alias(alias.clone().into()).await {
            Ok(()) => Ok(alias),
            Err(store::Error::AlreadyExists(_)) => {
                let existing = self.inner.store.alias(&alias.arn).await.map_err(internal)?.map(Alias::from);
                match existing {
                    Some(existing) if existing.description == alias.description && existing.routing == alias.routing => {
                        Ok(existing)
                    }
                    _ => Err(Error::ConflictException(
                        "Failed to create alias because an alias with the same name and a different routing \
                         configuration already exists."
                            .to_owned(),
                    )),
                }
            }
            Err(store::Error::NotFound(_)) => Err(not_found()),
            Err(error) => Err(internal(error)),
        }
    }

    pub async fn describe_state_machine_alias(&self, arn: &str) -> Result<Alias, Error> {
        alias_arn(arn)?;
        self.inner.store.alias(arn).await.map_err(internal)?.map(Alias::from).ok_or_else(not_found)
    }

    /// `UpdateStateMachineAlias`; returns the alias as updated.
    pub async fn update_state_machine_alias(&self, request: UpdateAlias) -> Result<Alias, Error> {
        let mut alias = self.describe_state_machine_alias(&request.arn).await?;
        if request.description.is_none() && request.routing.is_none() {
            return Err(Error::ValidationException(
                "Either the description or the routingConfiguration must be specified".to_owned(),
            ));
        }
        if let Some(routing) = request.routing {
            if check_routing(&routing)? != alias.state_machine_arn {
                return Err(Error::ValidationException(format!(
                    "Routing configuration must contain versions of state machine '{}'",
                    alias.state_machine_arn
                )));
            }
            alias.routing = routing;
        }
        if request.description.is_some() {
            alias.description = request.description;
        }
        alias.updated = now();
        match self.inner.store.update_alias(alias.clone().into()).await {
            Ok(()) => Ok(alias),
            Err(store::Error::NotFound(_)) => Err(not_found()),
            Err(error) => Err(internal(error)),
        }
    }

    /// `DeleteStateMachineAlias`: deleting an alias that does not exist succeeds, as on AWS.
    pub async fn delete_state_machine_alias(&self, arn: &str) -> Result<(), Error> {
        alias_arn(arn)?;
        match self.inner.store.delete_alias(arn).await {
            Ok(()) | Err(store::Error::NotFound(_)) => Ok(()),
            Err(error) => Err(internal(error)),
        }
    }

    /// `ListStateMachineAliases`, in creation order.
    pub async fn list_state_machine_aliases(&self, arn: &str, page: PageRequest) -> Result<Page<Alias>, Error> {
        self.describe_state_machine(arn).await?;
        self.inner.store.list_aliases(arn, page.into()).await.map(Page::from).map_err(paging)
    }

    /// What StartExecution of `arn` runs: a machine, a version of it, or a version an alias picks. An alias with two
    /// routes picks by a draw in 0..100 that hashes the execution's name (FNV-1a), or a fresh UUID when it has none:
    /// deterministic for a name, so a retried (idempotent) start picks the same version, and spread by the weights
    /// over many names.
    pub(crate) async fn resolve_target(&self, arn: &str, execution_name: Option<&str>) -> Result<Target, Error> {
        let (machine_arn, qualifier) = qualified(arn)?;
        let (version, alias_arn) = match qualifier {
            Qualifier::Machine => {
                let machine = self.describe_state_machine(arn).await?;
                return Ok(Target { machine, version_arn: None, alias_arn: None });
            }
            Qualifier::Version(number) => (number, None),
            Qualifier::Alias(_) => {
                let alias =
                    self.inner.store.alias(arn).await.map_err(internal)?.map(Alias::from).ok_or_else(|| machine_missing(arn))?;
                let seed = execution_name.map_or_else(names::uuid, str::to_owned);
                let picked = pick(&alias.routing, draw(&seed));
                let number = picked.and_then(|route| version_arn(&route.version_arn).ok()).map(|(_, number)| number);
                let number = number.ok_or_else(|| Error::Internal(format!("alias {arn} routes to no version")))?;
                (number, Some(alias.arn))
            }
        };
        let machine = self.stored_machine(machine_arn).await?.ok_or_else(|| machine_missing(arn))?;
        let version = self
            .inner
            .store
            .version(machine_arn, version)
            .await
            .map_err(internal)?
            .map(Version::from)
            .ok_or_else(|| machine_missing(&format!("{machine_arn}:{version}")))?;
        let version_arn = version.arn();
        let mut machine = machine;
        machine.definition = version.definition;
        machine.role_arn = version.role_arn;
        Ok(Target { machine, version_arn: Some(version_arn), alias_arn })
    }

    async fn publish_if(&self, machine: &StateMachine, options: PublishOptions) -> Result<Option<String>, Error> {
        if !options.publish {
            return Ok(None);
        }
        let publish = Publish {
            state_machine_arn: machine.arn.clone(),
            revision_id: machine.revision_id.clone(),
            description: options.version_description,
            created: now(),
        };
        Ok(Some(self.publish(publish).await?.arn()))
    }

    async fn publish(&self, publish: Publish) -> Result<Version, Error> {
        let arn = publish.state_machine_arn.clone();
        match self.inner.store.publish_version(publish).await {
            Ok(version) => Ok(version.into()),
            Err(store::Error::NotFound(_)) => Err(machine_missing(&arn)),
            Err(store::Error::RevisionChanged { expected, found, .. }) => Err(Error::ConflictException(format!(
                "Failed to publish the State Machine version for revision {expected}. The current State Machine \
                 revision is {found}."
            ))),
            Err(error) => Err(internal(error)),
        }
    }

    async fn stored_machine(&self, arn: &str) -> Result<Option<StateMachine>, Error> {
        Ok(self.inner.store.state_machine(arn).await.map_err(internal)?.map(StateMachine::from))
    }
}

fn check_options(options: &PublishOptions) -> Result<(), Error> {
    if !options.publish && options.version_description.is_some() {
        return Err(Error::ValidationException("Version description can only be set when publish is true".to_owned()));
    }
    Ok(())
}

/// A version read as DescribeStateMachine shows it.
fn as_machine(machine: StateMachine, version: Version) -> StateMachine {
    StateMachine {
        arn: version.arn(),
        definition: version.definition,
        role_arn: version.role_arn,
        revision_id: version.revision_id,
        description: version.description,
        created: version.created,
        updated: version.created,
        ..machine
    }
}

/// Splits `arn:aws:states:<region>:<account>:stateMachine:<name>[:<qualifier>]` into the machine ARN and what the
/// qualifier names: digits are a version number, anything else an alias name.
fn qualified(arn: &str) -> Result<(&str, Qualifier), Error> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        [.., "stateMachine", _] => {
            names::state_machine_name(arn)?;
            Ok((arn, Qualifier::Machine))
        }
        ["arn", partition, "states", _, _, "stateMachine", name, qualifier]
            if partition.starts_with("aws") && !name.is_empty() && !qualifier.is_empty() =>
        {
            let machine = arn.get(..arn.len() - qualifier.len() - 1).unwrap_or(arn);
            let qualifier = match qualifier.parse::<u64>() {
                Ok(number) if qualifier.bytes().all(|b| b.is_ascii_digit()) => Qualifier::Version(number),
                _ => Qualifier::Alias((*qualifier).to_owned()),
            };
            Ok((machine, qualifier))
        }
        _ => names::state_machine_name(arn).map(|_| (arn, Qualifier::Machine)),
    }
}

/// The machine ARN and number of a version ARN; anything else is `InvalidArn`.
fn version_arn(arn: &str) -> Result<(&str, u64), Error> {
    match qualified(arn) {
        Ok((machine, Qualifier::Version(number))) => Ok((machine, number)),
        Err(error) => Err(error),
        Ok(_) => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

fn alias_arn(arn: &str) -> Result<&str, Error> {
    match qualified(arn) {
        Ok((machine, Qualifier::Alias(_))) => Ok(machine),
        Err(error) => Err(error),
        Ok(_) => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

/// An alias name: 1 to 80 of `A-Za-z0-9_-.`, not all digits (that would read as a version).
fn check_alias_name(name: &str) -> Result<(), Error> {
    let allowed = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    let not_a_number = name.bytes().any(|b| !b.is_ascii_digit());
    if name.is_empty() || name.len() > 80 || !allowed || !not_a_number {
        return Err(Error::ValidationException(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"
        )));
    }
    Ok(())
}

/// Checks a routing configuration (1 or 2 distinct versions of one machine, weights summing to 100; the shape has
/// checked each weight is 0..=100) and returns the machine's ARN.
fn check_routing(routing: &[Route]) -> Result<String, Error> {
    let arns: Vec<&str> = routing.iter().map(|route| route.version_arn.as_str()).collect();
    let listed = || arns.join(", ");
    let mut machines = Vec::new();
    for arn in &arns {
        match qualified(arn) {
            Ok((machine, Qualifier::Version(_))) => machines.push(machine),
            _ => {
                return Err(Error::ValidationException(format!(
                    "Routing configuration must contain state machine version ARNs. Received: [{}]",
                    listed()
                )));
            }
        }
    }
    let (Some(first), 1..=2) = (machines.first(), machines.len()) else {
        return Err(Error::ValidationException(
            "Routing configuration must contain one or two state machine versions".to_owned(),
        ));
    };
    if arns.len() == 2 && arns.first() == arns.get(1) {
        return Err(Error::ValidationException(format!(
            "Routing configuration must contain distinct state machine version ARNs. Received: [{}]",
            listed()
        )));
    }
    if machines.iter().any(|machine| machine != first) {
        return Err(Error::ValidationException(format!(
            "Routing configuration must contain versions of one state machine. Received: [{}]",
            listed()
        )));
    }
    let weights: Vec<u32> = routing.iter().map(|route| route.weight).collect();
    if weights.iter().sum::<u32>() != 100 {
        let weights: Vec<String> = weights.iter().map(u32::to_string).collect();
        return Err(Error::ValidationException(format!(
            "Sum of routing configuration weights must equal 100. Received: [{}]",
            weights.join(", ")
        )));
    }
    Ok((*first).to_owned())
}

/// A number in 0..100 from an execution name (FNV-1a, 64 bits).
fn draw(name: &str) -> u32 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    u32::try_from(hash % 100).unwrap_or(0)
}

/// The route whose weight band holds `draw` (bands in routing order); a 0-weight route is never picked.
fn pick(routing: &[Route], draw: u32) -> Option<&Route> {
    let mut bound = 0;
    for route in routing {
        bound += route.weight;
        if draw < bound {
            return Some(route);
        }
    }
    routing.iter().rev().find(|route| route.weight > 0)
}

fn not_found() -> Error {
    Error::ResourceNotFound("Request references a resource that does not exist.".to_owned())
}

fn machine_missing(arn: &str) -> Error {
    Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
}

#[cfg(test)]
mod tests {
    use super::{Qualifier, check_alias_name, check_routing, draw, pick, qualified};
    use crate::service::{Error, Route};

    const M: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

    fn route(arn: &str, weight: u32) -> Route {
        Route { version_arn: arn.to_owned(), weight }
    }

    #[test]
    fn arns() {
        assert_eq!(qualified(M).unwrap(), (M, Qualifier::Machine));
        assert_eq!(qualified(&format!("{M}:12")).unwrap(), (M, Qualifier::Version(12)));
        assert_eq!(qualified(&format!("{M}:live")).unwrap(), (M, Qualifier::Alias("live".to_owned())));
        for bad in ["", "nonsense", "arn:aws:states:us-east-1:123456789012:execution:m:e", &format!("{M}:")] {
            assert!(matches!(qualified(bad), Err(Error::InvalidArn(_))), "{bad:?}");
        }
    }

    #[test]
    fn alias_names() {
        for good in ["live", "v1", "a.b-c_d", "1a"] {
            assert!(check_alias_name(good).is_ok(), "{good}");
        }
        for bad in ["", "123", "with space", "x@", &"a".repeat(81)] {
            assert!(matches!(check_alias_name(bad), Err(Error::ValidationException(_))), "{bad:?}");
        }
    }

    #[test]
    fn routing() {
        let (v1, v2) = (format!("{M}:1"), format!("{M}:2"));
        assert_eq!(check_routing(&[route(&v1, 100)]).unwrap(), M);
        assert_eq!(check_routing(&[route(&v1, 70), route(&v2, 30)]).unwrap(), M);
        let message = |routing: &[Route]| match check_routing(routing) {
            Err(Error::ValidationException(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            message(&[route(&v1, 70), route(&v2, 29)]),
            "Sum of routing configuration weights must equal 100. Received: [70, 29]"
        );
        assert_eq!(
            message(&[route(&v1, 50), route(&v1, 50)]),
            format!("Routing configuration must contain distinct state machine version ARNs. Received: [{v1}, {v1}]")
        );
        assert_eq!(
            message(&[route(M, 100)]),
            format!("Routing configuration must contain state machine version ARNs. Received: [{M}]")
        );
        let other = "arn:aws:states:us-east-1:123456789012:stateMachine:other:1";
        assert!(message(&[route(&v1, 50), route(other, 50)]).contains("one state machine"));
    }

    #[test]
    fn weighted_pick() {
        let routing = [route("a", 90), route("b", 10), route("c", 0)];
        let picked: Vec<&str> = [0, 89, 90, 99].iter().map(|d| pick(&routing, *d).unwrap().version_arn.as_str()).collect();
        assert_eq!(picked, ["a", "a", "b", "b"]);
        // Over many names, the split follows the weights.
        let b = (0..10_000).filter(|i| pick(&routing, draw(&format!("exec-{i}"))).unwrap().version_arn == "b").count();
        assert!((800..1200).contains(&b), "{b}");
        assert_eq!(draw("same"), draw("same"));
    }
}
