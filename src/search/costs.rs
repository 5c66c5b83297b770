//! What a search spends, part by part: the processor time each part of a query takes on
//! the thread that runs it, counted for `/metrics` so that a benchmark (or an operator)
//! can tell the word lookups from encoding a question and from comparing meanings.
//!
//! - `posts`: the posts that match the words (the search page and API);
//! - `words`: the threads the words of a question find (suggestions, the answers above
//!   search results, similar topics);
//! - `encode`: a question's vector, counted only when it is computed (a text already
//!   encoded is taken from memory and costs nothing here);
//! - `meaning`: the threads nearest in meaning, and ranking every candidate.
//!
//! Each is `parley_search_cpu_seconds_total{part}` and `parley_search_calls_total{part}`.

use prometheus::{Counter, CounterVec, IntCounter, IntCounterVec, Opts, Registry};

/// The parts of a query that are measured apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Posts = 0,
    Words = 1,
    Encode = 2,
    Meaning = 3,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Part::Posts => "posts",
            Part::Words => "words",
            Part::Encode => "encode",
            Part::Meaning => "meaning",
        }
    }
}

/// The counters of every part.
#[derive(Debug, Clone)]
pub struct Costs {
    cpu: CounterVec,
    calls: IntCounterVec,
    /// Each part's two counters, by `Part as usize`, looked up once: a query counts
    /// without hashing its label.
    parts: [(Counter, IntCounter); 4],
}

impl Default for Costs {
    fn default() -> Self {
        Self::new()
    }
}

impl Costs {
    pub fn new() -> Self {
        // Fixed names and labels: creating them cannot fail.
        let cpu = CounterVec::new(
            Opts::new(
                "parley_search_cpu_seconds_total",
                "Processor time spent by each part of search queries, on their own threads",
            ),
            &["part"],
        )
        .unwrap_or_else(|_| unreachable!("a valid metric name"));
        let calls = IntCounterVec::new(
            Opts::new(
                "parley_search_calls_total",
                "Times each part of search queries ran (encode: questions encoded, not read from memory)",
            ),
            &["part"],
        )
        .unwrap_or_else(|_| unreachable!("a valid metric name"));
        let parts = [Part::Posts, Part::Words, Part::Encode, Part::Meaning].map(|p| {
            (
                cpu.with_label_values(&[p.label()]),
                calls.with_label_values(&[p.label()]),
            )
        });
        Self { cpu, calls, parts }
    }

    /// Shows the counters in `registry`'s `/metrics`.
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.cpu.clone()))?;
        registry.register(Box::new(self.calls.clone()))
    }

    /// Runs `f` on this thread and counts its processor time as `part`.
    pub fn measure<T>(&self, part: Part, f: impl FnOnce() -> T) -> T {
        self.measure_many(part, 1, f)
    }

    /// [`measure`](Self::measure) for `f` doing `calls` of `part` at once (questions
    /// encoded together).
    pub fn measure_many<T>(&self, part: Part, calls: u64, f: impl FnOnce() -> T) -> T {
        let started = thread_cpu();
        let out = f();
        let spent = thread_cpu().saturating_sub(started);
        let (cpu, count) = &self.parts[part as usize];
        cpu.inc_by(spent.as_secs_f64());
        count.inc_by(calls);
        out
    }

    /// Processor seconds and calls counted so far for `part`.
    pub fn spent(&self, part: Part) -> (f64, u64) {
        let (cpu, count) = &self.parts[part as usize];
        (cpu.get(), count.get())
    }
}

/// The processor time this thread has used.
fn thread_cpu() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    std::time::Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_counts_its_own_time() {
        let costs = Costs::new();
        let spun = costs.measure(Part::Words, || {
            // Work the optimizer cannot drop, for at least a few milliseconds of CPU.
            let started = std::time::Instant::now();
            let mut x = 1u64;
            while started.elapsed() < std::time::Duration::from_millis(20) {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
            x
        });
        std::hint::black_box(spun);
        let (words, calls) = costs.spent(Part::Words);
        assert_eq!(calls, 1);
        assert!(words > 0.005 && words < 5.0, "{words}");
        assert_eq!(costs.spent(Part::Posts), (0.0, 0));
        costs.measure(Part::Encode, || ());
        assert_eq!(costs.spent(Part::Encode).1, 1);
    }
}
