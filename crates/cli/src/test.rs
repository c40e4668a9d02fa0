//! `baton test`: runs the cases of test files (`*.test.yaml`, `*.test.json`) in parallel on virtual time and
//! reports each one, as `cargo test` does.
//!
//! Each case is one `runtime::run` (what `baton run --virtual-time` does) with the file's mocks and local functions,
//! offline unless `--online`. What a case expects of states is read from the execution's history (`observe`).

mod check;
mod file;
mod observe;
mod report;
mod update;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use engine::{ExecutionInfo, Limits, Status};
use runtime::{Clock, Options};

use crate::test::check::{Actual, Mismatch};
use crate::test::file::{Case, Suite};
use crate::test::observe::Observed;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Test files, or directories searched recursively for `*.test.yaml`, `*.test.yml` and `*.test.json`.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Run only the cases whose `FILE: NAME` contains TEXT.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Also write a JUnit XML report to FILE (a testsuite per test file, a testcase per case).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Print one JSON object with every case's result instead of the text report.
    #[arg(long)]
    json: bool,
    /// Write each case's actual output into its `expect.output` (snapshot style), then check the rest.
    #[arg(long)]
    update: bool,
    /// Let Tasks that mocks and local functions do not answer call AWS (by default they fail, as with `--offline`).
    #[arg(long)]
    online: bool,
    /// How many cases run at once (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Report, per state machine, the states, Choice rules, Catch and Retry edges and Parallel branches and Map
    /// processors the cases exercised, and what they never did.
    #[arg(long)]
    coverage: bool,
    /// With `--coverage`, also draw each state machine into DIR as `<name>.coverage.svg` (`order.asl.json`:
    /// `order.coverage.svg`), the states never entered marked `not-run`.
    #[arg(long, value_name = "DIR", requires = "coverage")]
    coverage_svg: Option<PathBuf>,
}

/// The result of one case.
pub(crate) struct Outcome {
    /// Its file and position among the suites and cases.
    pub(crate) suite: usize,
    pub(crate) case: usize,
    pub(crate) actual: Actual,
    pub(crate) mismatches: Vec<Mismatch>,
    pub(crate) elapsed: Duration,
    /// The execution's history and its child executions' (a distributed Map's iterations), kept for `--coverage`.
    pub(crate) history: Option<Vec<Vec<engine::HistoryEvent>>>,
}

impl Outcome {
    pub(crate) fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let files = discover(&args.paths)?;
    let aws = integrations::aws::Aws::new(integrations::aws::Options { offline: !args.online, ..Default::default() });
    let mut suites = Vec::new();
    let mut invalid = 0;
    for path in &files {
        match file::load(path, &aws) {
            Ok(suite) => suites.push(suite),
            Err(problems) => {
                invalid += 1;
                for line in problems {
                    eprintln!("{line}");
                }
            }
        }
    }
    if invalid > 0 {
        eprintln!("error: {invalid} invalid test file{}; no case was run", plural(invalid));
        return Ok(ExitCode::from(2));
    }
    if suites.is_empty() {
        eprintln!("no test files (*.test.yaml, *.test.yml, *.test.json) under {}", shown_paths(&args.paths));
        return Ok(ExitCode::SUCCESS);
    }
    let mut jobs = Vec::new();
    let mut filtered = 0;
    for (s, suite) in suites.iter().enumerate() {
        for (c, case) in suite.cases.iter().enumerate() {
            match &args.filter {
                Some(text) if !id(suite, case).contains(text.as_str()) => filtered += 1,
                _ => jobs.push((s, c)),
            }
        }
    }
    let workers = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)).clamp(1, 256);
    if !args.json {
        println!("\nrunning {} case{} from {} file{}", jobs.len(), plural(jobs.len()), suites.len(), plural(suites.len()));
    }
    let outcomes = run_all(&suites, &jobs, workers, (args.update, args.coverage), |suite, case, outcome| {
        if !args.json {
            let verdict = if outcome.passed() { "ok" } else { "FAILED" };
            println!("test {} ... {verdict}", id(suite, case));
        }
    });
    let mut not_updated = 0;
    if args.update {
        for (s, suite) in suites.iter().enumerate() {
            let outputs: Vec<(usize, &Value)> = outcomes
                .iter()
                .filter(|o| o.suite == s)
                .filter_map(|o| Some((suite.cases.get(o.case)?.index, o.actual.output.as_ref()?)))
                .collect();
            match update::write(suite, &outputs) {
                Ok(0) => {}
                Ok(n) => eprintln!("updated {n} expected output{} in {}", plural(n), suite.path.display()),
                Err(e) => {
                    not_updated += 1;
                    eprintln!("error: cannot update {}: {e:#}", suite.path.display());
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let passed = outcomes.len() - failed;
    if let Some(junit) = &args.junit {
        let xml = report::junit(&suites, &outcomes, elapsed);
        std::fs::write(junit, xml).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", junit.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let json = report::json(&suites, &outcomes, filtered, elapsed);
        writeln!(stdout, "{json}")?;
    } else {
        report::text(&mut stdout, &suites, &outcomes)?;
        if args.coverage {
            coverage(&mut stdout, &suites, &outcomes, args.coverage_svg.as_deref())?;
        }
        let verdict = if failed == 0 { "ok" } else { "FAILED" };
        writeln!(
            stdout,
            "\ntest result: {verdict}. {passed} passed; {failed} failed; {filtered} filtered out; finished in {:.2}s\n",
            elapsed.as_secs_f64()
        )?;
    }
    // A file --update could not write did not get the outputs its cases were checked against.
    Ok(match (failed, not_updated) {
        (_, 1..) => ExitCode::from(2),
        (0, _) => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// `FILE: NAME`, how a case is shown and what `--filter` matches.
pub(crate) fn id(suite: &Suite, case: &Case) -> String {
    format!("{}: {}", suite.path.display(), case.name)
}

/// Runs the cases `jobs` names on `workers` threads; `done` sees each outcome in the order of `jobs`, as soon as it
/// and the ones before it have finished. Returns the outcomes in that order.
fn run_all(
    suites: &[Suite],
    jobs: &[(usize, usize)],
    workers: usize,
    (update, keep_history): (bool, bool),
    mut done: impl FnMut(&Suite, &Case, &Outcome),
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<(usize, Outcome)>();
    let mut finished: Vec<Option<Outcome>> = jobs.iter().map(|_| None).collect();
    let mut outcomes = Vec::with_capacity(jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(jobs.len()) {
            let (next, sender) = (&next, sender.clone());
            scope.spawn(move || {
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(s, c)) = jobs.get(j) else { break };
                    let Some((suite, case)) = suites.get(s).and_then(|suite| Some((suite, suite.cases.get(c)?))) else { break };
                    let outcome = run_case(suite, case, update, keep_history);
                    if sender.send((j, Outcome { suite: s, case: c, ..outcome })).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (j, outcome) in receiver {
            if let Some(slot) = finished.get_mut(j) {
                *slot = Some(outcome);
            }
            while let Some(outcome) = finished.get_mut(outcomes.len()).and_then(Option::take) {
                if let Some((suite, case)) = suites.get(outcome.suite).and_then(|suite| Some((suite, suite.cases.get(outcome.case)?))) {
                    done(suite, case, &outcome);
                }
                outcomes.push(outcome);
            }
        }
    });
    outcomes
}

/// Runs one case and checks it. With `update`, its `expect.output` is taken to be the actual output (it is about to
/// be written so), unless it expects `outputContains`.
fn run_case(suite: &Suite, case: &Case, update: bool, keep_history: bool) -> Outcome {
    let started = Instant::now();
    let name: String = case.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(80).collect();
    let states = "arn:aws:states:us-east-1:123456789012";
    let machine_name = &suite.machine_name;
    let info = ExecutionInfo {
        execution_arn: format!("{states}:execution:{machine_name}:{name}"),
        state_machine_arn: format!("{states}:stateMachine:{machine_name}"),
        state_machine_name: machine_name.clone(),
        name,
        role_arn: "arn:aws:iam::123456789012:role/baton".to_owned(),
        region: "us-east-1".to_owned(),
        express: false,
        version_arn: None,
        alias_arn: None,
    };
    let options = Options {
        clock: Clock::Virtual,
        limits: Limits::default(),
        resources: case.resources.clone(),
        progress: None,
        keep_history: true,
        max_evaluation_ms: runtime::DEFAULT_MAX_EVALUATION_MS,
    };
    let machine = Arc::clone(&suite.machine);
    let input = case.input.clone();
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime::run(machine, info, input, options)));
    let mut execution = match ran {
        Ok(execution) => execution,
        Err(_) => {
            let actual = Actual { status: "PANICKED", error: None, cause: None, output: None };
            let mismatch = Mismatch { field: "run".to_owned(), at: None, expected: "an execution".to_owned(), actual: "Baton panicked (a bug: please report it)".to_owned() };
            return Outcome { suite: 0, case: 0, actual, mismatches: vec![mismatch], elapsed: started.elapsed(), history: None };
        }
    };
    let actual = match execution.status() {
        Status::Succeeded { output } => Actual { status: "SUCCEEDED", error: None, cause: None, output: Some(output.clone()) },
        Status::Failed(e) => Actual { status: "FAILED", error: e.error.clone(), cause: e.cause.clone(), output: None },
        Status::TimedOut(e) => Actual { status: "TIMED_OUT", error: e.error.clone(), cause: e.cause.clone(), output: None },
        Status::Aborted(e) => Actual { status: "ABORTED", error: e.error.clone(), cause: e.cause.clone(), output: None },
        Status::Running | Status::NotStarted => Actual { status: "RUNNING", error: None, cause: None, output: None },
    };
    let observed = Observed::of(execution.history());
    // Under --update the output is about to be written as expected, so it is not checked.
    let skip_output = update && actual.output.is_some() && !matches!(case.expect.output, Some(file::Match::Contains(_)));
    let mismatches = check::check(&case.expect, &actual, &observed, skip_output);
    // The parent's history, then each child execution's (a distributed Map's iterations), for coverage.
    let history = keep_history.then(|| {
        let mut histories = vec![execution.history().to_vec()];
        let mut children: Vec<(std::sync::Arc<str>, Vec<engine::HistoryEvent>)> = Vec::new();
        for child in execution.take_child_events() {
            match children.iter_mut().find(|(arn, _)| *arn == child.execution_arn) {
                Some((_, events)) => events.push(child.event),
                None => children.push((child.execution_arn, vec![child.event])),
            }
        }
        histories.extend(children.into_iter().map(|(_, events)| events));
        histories
    });
    Outcome { suite: 0, case: 0, actual, mismatches, elapsed: started.elapsed(), history }
}

/// `--coverage`: per definition, what the cases of every suite testing it exercised; with `svg`, its picture there.
fn coverage(out: &mut impl Write, suites: &[Suite], outcomes: &[Outcome], svg: Option<&Path>) -> anyhow::Result<()> {
    let mut definitions: Vec<&Path> = suites.iter().map(|suite| suite.definition.as_path()).collect();
    definitions.sort();
    definitions.dedup();
    writeln!(out, "coverage:")?;
    for definition in definitions {
        let Some(machine) = suites.iter().find(|suite| suite.definition == definition).map(|suite| &suite.machine) else { continue };
        let histories: Vec<&[engine::HistoryEvent]> = outcomes
            .iter()
            .filter(|outcome| suites.get(outcome.suite).is_some_and(|suite| suite.definition == definition))
            .filter_map(|outcome| outcome.history.as_ref())
            .flatten()
            .map(Vec::as_slice)
            .collect();
        let covered = crate::coverage::Coverage::of(machine, &histories);
        write!(out, "{}", covered.text(&definition.display().to_string()))?;
        if let Some(dir) = svg {
            // `order.asl.json` draws into `order.coverage.svg`.
            let name = definition.file_name().and_then(|s| s.to_str()).unwrap_or("machine");
            let stem = name.split('.').next().filter(|stem| !stem.is_empty()).unwrap_or("machine");
            let file = dir.join(format!("{stem}.coverage.svg"));
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
            std::fs::write(&file, covered.svg(machine)).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
        }
    }
    Ok(())
}

/// The test files under `paths`: files as given, directories searched recursively (skipping hidden ones and
/// `target`), each directory's files sorted.
fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read directory {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&path, files)?;
            }
        } else if [".test.yaml", ".test.yml", ".test.json"].iter().any(|ext| name.ends_with(ext)) {
            // `baton test` (the current directory) shows `orders/x.test.yaml`, not `./orders/x.test.yaml`.
            files.push(path.strip_prefix(".").map(Path::to_path_buf).unwrap_or(path));
        }
    }
    Ok(())
}

fn shown_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
