//! `baton serve`'s accept loop: the server's router over hyper, one task per connection, with a header read timeout and
//! a bound on open connections, so that half-sent requests cannot exhaust the server (axum's own loop has neither);
//! with `--tls-cert`, a TLS handshake first, bounded by the same timeout.
//! Here rather than in `server`, which starts no task and reads no clock (ARCHITECTURE.md).

use std::future::Future;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use runtime::service::Service;
use server::Hosts;

use crate::tls::Tls;

/// How connections are taken: the `Host` headers answered, how long a client may take to send a request's headers
/// (and, with TLS, to finish its handshake), how many connections may be open at once (one over the limit is closed
/// at once), and the TLS certificate, if any.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) hosts: Hosts,
    /// The keys API calls must be signed with, if any (`--credentials`).
    pub(crate) access: Option<server::Access>,
    pub(crate) header_timeout: std::time::Duration,
    pub(crate) max_connections: usize,
    pub(crate) tls: Option<Arc<Tls>>,
}

/// A connection's byte stream, plain TCP or TLS over it: one type, so that hyper serves both alike.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Serves `server::router_with(service, options.hosts, options.access)` on `listener` until `shutdown` resolves: each connection is
/// served by hyper with a header read timeout, at most `options.max_connections` at once, over TLS if
/// `options.tls` is set. Then shuts the service down and waits up to 10 s for the connections to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    service: Service,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let app = server::router_with(service.clone(), options.hosts, options.access);
    let app = if options.tls.is_some() { server::over_tls(app) } else { app };
    let permits = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors, or a connection reset before it was taken: try again shortly.
                eprintln!("baton: cannot accept a connection: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // Over the limit: closed at once rather than queued.
            drop(stream);
            continue;
        };
        // The pair in force now: a reload while the handshake runs changes nothing for this connection.
        let acceptor = options.tls.as_ref().map(|tls| tls.acceptor());
        let (app, watcher, header_timeout) = (app.clone(), graceful.watcher(), options.header_timeout);
        tokio::spawn(async move {
            let io: Box<dyn Io> = match acceptor {
                None => Box::new(stream),
                // A client that does not finish its handshake in time is cut off, as one that does not finish its
                // headers is (it holds a permit meanwhile, so these too are bounded by the connection limit).
                Some(acceptor) => match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => Box::new(stream),
                    // Not TLS (plain HTTP to the TLS port), a certificate the client refused, or too slow.
                    Ok(Err(_)) | Err(_) => return,
                },
            };
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let connection = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
            let _ = watcher.watch(connection).await;
            drop(permit);
        });
    }
    // The service shuts down first: long polls and running evaluations end, so the requests waiting on them answer
    // and the connections close.
    service.shutdown().await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}
