//! Password hashing: argon2id, off the async threads, a few at a time.
//!
//! A password hash is deliberately slow (tens of milliseconds of one core
//! and 19 MiB of memory with OWASP's parameters). Run on the async
//! runtime's threads, a burst of sign-ins would stall every other request;
//! run without a bound, it would take every core; run at the same priority
//! as everything else, it would still take a core's share from the
//! database and the runtime. [`Passwords`] queues each hash for one of a
//! few threads of its own, which run at the lowest scheduling priority: a
//! burst of sign-ins waits in the queue and yields the processor to every
//! other request, and takes the idle cores.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tenancy_core::{Error, Result};
use tokio::sync::oneshot;

/// The shortest password [`Passwords::hash`] accepts, in characters
/// (NIST SP 800-63B's minimum).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// How many hashes may wait per hashing thread before more are refused as
/// [`Error::Busy`] (a 503): a flood of sign-ins is turned away at once
/// rather than queued for minutes.
pub const QUEUED_PER_THREAD: usize = 64;

/// The longest password accepted, in bytes: longer input is refused
/// before any work, so that nobody makes the server hash megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes and verifies passwords with argon2id, on a few threads of its own
/// at the lowest scheduling priority, fed by a queue. Cheap to clone; share
/// one between the app's handlers (each `Passwords` built has its own
/// threads, which end with its last clone).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let passwords = tenancy_access::Passwords::new();
/// let hash = passwords.hash("correct horse battery").await?;
/// assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert!(passwords.verify("correct horse battery", &hash).await?.matches);
/// assert!(!passwords.verify("wrong", &hash).await?.matches);
/// # Ok::<(), tenancy_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Passwords {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    /// The queue of the hashing threads; they end when it closes.
    jobs: Mutex<mpsc::Sender<Job>>,
    /// Hashes queued or running.
    queued: Arc<AtomicUsize>,
    concurrency: usize,
    /// A hash of a random password, verified for unknown emails so that
    /// they cost the same work as a wrong password: made by the first job
    /// of the queue, so that the first unknown email costs one hash too.
    dummy: Arc<OnceLock<String>>,
}

/// What [`Passwords::verify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verdict {
    /// Whether the password is the one hashed.
    pub matches: bool,
    /// Whether the hash was made with other parameters than the current
    /// ones: rehash the password (sign-in does).
    pub outdated: bool,
}

impl Verdict {
    /// No match, nothing to rehash.
    pub(crate) const NO_MATCH: Self = Self {
        matches: false,
        outdated: false,
    };
}

impl Passwords {
    /// argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1), on
    /// one hashing thread per two available cores (at least one).
    #[must_use]
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::build(Params::DEFAULT, (cores / 2).max(1))
    }

    /// argon2id with these costs: memory in KiB, iterations and lanes.
    /// Hashes made with other costs still verify, and sign-in replaces
    /// them with one made with these.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `params` for costs argon2 refuses (memory
    /// below 8 KiB per lane, no iteration, no lane).
    pub fn with_costs(self, memory_kib: u32, iterations: u32, lanes: u32) -> Result<Self> {
        let params = Params::new(memory_kib, iterations, lanes, None)
            .map_err(|e| Error::invalid("params", format!("argon2 refuses these costs: {e}")))?;
        Ok(Self::build(params, self.inner.concurrency))
    }

    /// `threads` hashing threads (at least one): at most that many hashes
    /// at a time.
    #[must_use]
    pub fn with_concurrency(self, threads: usize) -> Self {
        Self::build(self.inner.params.clone(), threads.max(1))
    }

    fn build(params: Params, concurrency: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("tenancy-passwords-{n}"))
                .spawn(move || hashing_thread(&queue));
            if let Err(error) = spawned {
                tracing::error!("tenancy: no password hashing thread could start: {error}");
            }
        }
        let dummy = Arc::new(OnceLock::new());
        let (made, argon2) = (Arc::clone(&dummy), Self::argon2(params.clone()));
        let _ = jobs.send(Box::new(move || {
            if let Ok(hash) = dummy_hash(&argon2) {
                let _ = made.set(hash);
            }
        }));
        Self {
            inner: Arc::new(Inner {
                params,
                jobs: Mutex::new(jobs),
                queued: Arc::new(AtomicUsize::new(0)),
                concurrency,
                dummy,
            }),
        }
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Runs `work` on a hashing thread, after the work queued before it. A
    /// caller that gives up waiting leaves its work undone, not running; a
    /// full queue refuses the work ([`Error::Busy`]).
    async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Argon2<'static>) -> T + Send + 'static,
    {
        let queued = Arc::clone(&self.inner.queued);
        if queued.fetch_add(1, Ordering::AcqRel) >= QUEUED_PER_THREAD * self.inner.concurrency {
            queued.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Busy(sqlx::Error::PoolTimedOut));
        }
        // Leaves the queue however the job ends: run, dropped unrun, or
        // panicking.
        let slot = Slot(queued);
        let (answer, answered) = oneshot::channel();
        let argon2 = Self::argon2(self.inner.params.clone());
        let job: Job = Box::new(move || {
            let _slot = slot;
            if !answer.is_closed() {
                let _ = answer.send(work(argon2));
            }
        });
        self.inner
            .jobs
            .lock()
            .map_err(|_| internal("the password queue is poisoned"))?
            .send(job)
            .map_err(|_| internal("no password hashing thread runs"))?;
        answered
            .await
            .map_err(|_| internal("password hashing stopped"))
    }

    /// The PHC string of a new hash of `password`, with a random salt.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `password` for one shorter than
    /// [`MIN_PASSWORD_CHARS`] characters or longer than
    /// [`MAX_PASSWORD_BYTES`] bytes.
    pub async fn hash(&self, password: &str) -> Result<String> {
        if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
            return Err(Error::invalid(
                "password",
                "a password has at least 8 characters and at most 1024 bytes",
            ));
        }
        self.hash_unchecked(password.to_owned()).await
    }

    async fn hash_unchecked(&self, password: String) -> Result<String> {
        self.run(move |argon2| {
            argon2
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| internal(&format!("argon2 could not hash: {e}")))
    }

    /// Whether `password` is the one `hash` (a PHC string) was made of,
    /// and whether `hash` is outdated. A malformed hash matches nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the hashing thread fails.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<Verdict> {
        if password.len() > MAX_PASSWORD_BYTES {
            // Refused without the work: no stored password is this long.
            return Ok(Verdict {
                matches: false,
                outdated: false,
            });
        }
        let (password, hash) = (password.to_owned(), hash.to_owned());
        let current = self.inner.params.clone();
        self.run(move |argon2| {
            let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(&hash) else {
                // The work of a real verification, so that a broken stored
                // hash answers in the same time as a wrong password.
                let _ = argon2.hash_password(password.as_bytes());
                return Verdict::NO_MATCH;
            };
            let matches = argon2.verify_password(password.as_bytes(), &parsed).is_ok();
            let outdated = parsed.algorithm != Algorithm::Argon2id.ident()
                || Params::try_from(&parsed).map_or(true, |used| {
                    (used.m_cost(), used.t_cost(), used.p_cost())
                        != (current.m_cost(), current.t_cost(), current.p_cost())
                });
            Verdict { matches, outdated }
        })
        .await
    }

    /// The same work as verifying a password against a real hash, for a
    /// sign-in whose email names nobody: the answer and its time do not
    /// tell that the account does not exist.
    pub(crate) async fn verify_nothing(&self, password: &str) -> Result<()> {
        let dummy = match self.inner.dummy.get() {
            Some(dummy) => dummy.clone(),
            // The queue's first job has not run yet (or found no
            // randomness): make one now.
            None => {
                let made = self.run(|argon2| dummy_hash(&argon2)).await??;
                self.inner.dummy.get_or_init(|| made).clone()
            }
        };
        self.verify(password, &dummy).await.map(|_| ())
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("memory_kib", &self.inner.params.m_cost())
            .field("iterations", &self.inner.params.t_cost())
            .field("lanes", &self.inner.params.p_cost())
            .field("concurrency", &self.inner.concurrency)
            .finish()
    }
}

/// A hash to compute, and where its answer goes.
type Job = Box<dyn FnOnce() + Send>;

/// A job's place in the queue, given back when it is dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs queued jobs until the queue closes, at the lowest priority the
/// system gives a thread (on Linux, a niceness of 19): other threads get
/// the processor first.
fn hashing_thread(queue: &Mutex<mpsc::Receiver<Job>>) {
    if let Err(error) =
        thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
    {
        tracing::warn!("tenancy: password hashing runs at normal priority: {error:?}");
    }
    loop {
        // Holding the lock only to take one job lets the others run theirs.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            // A panic in one hash (its caller gets an error) must not take
            // the thread, and every later sign-in, with it.
            Ok(job) => {
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                    tracing::error!("tenancy: a password hash panicked");
                }
            }
            Err(_) => return,
        }
    }
}

/// A hash of a random password.
fn dummy_hash(argon2: &Argon2<'static>) -> Result<String> {
    let mut random = [0_u8; 32];
    getrandom::fill(&mut random).map_err(|e| internal(&format!("no randomness: {e}")))?;
    argon2
        .hash_password(hex::encode(random).as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| internal(&format!("argon2 could not hash: {e}")))
}

fn internal(message: &str) -> Error {
    Error::Database(sqlx::Error::Protocol(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new().with_costs(64, 1, 1).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let passwords = cheap();
        let hash = passwords.hash("a long enough secret").await.unwrap();
        let right = passwords
            .verify("a long enough secret", &hash)
            .await
            .unwrap();
        assert!(right.matches && !right.outdated);
        assert!(
            !passwords
                .verify("a long enough secreT", &hash)
                .await
                .unwrap()
                .matches
        );
        assert!(!passwords.verify("x", "not a hash").await.unwrap().matches);
    }

    #[tokio::test]
    async fn hashes_of_other_costs_verify_and_are_outdated() {
        let old = cheap();
        let hash = old.hash("a long enough secret").await.unwrap();
        let new = Passwords::new().with_costs(128, 2, 1).unwrap();
        let verdict = new.verify("a long enough secret", &hash).await.unwrap();
        assert!(verdict.matches && verdict.outdated);
    }

    #[tokio::test]
    async fn short_and_huge_passwords_are_refused_before_any_work() {
        let passwords = cheap();
        assert!(
            passwords
                .hash("short")
                .await
                .unwrap_err()
                .to_string()
                .contains("password")
        );
        let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(passwords.hash(&huge).await.is_err());
        assert!(!passwords.verify(&huge, "$argon2id$").await.unwrap().matches);
    }

    #[test]
    fn the_default_costs_are_owasps() {
        let passwords = Passwords::new();
        let params = &passwords.inner.params;
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (19_456, 2, 1)
        );
    }
}
