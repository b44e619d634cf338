//! The document a scrape gets: hams' families, the application's, then the
//! metrics callback's last valid output. Holds only what it reads.

use super::builtin;
use super::collector::{Collector, Failure};
use super::expose::{Format, Writer};
use super::negotiate::Exposition;
use super::registry::Snapshot;
use super::tree::TreeMetrics;
use super::MetricRegistry;
use super::{text_proto, validate};
use crate::health::probe_registry::ProbeRegistry;
use crate::runtime_info::SharedRuntime;
use crate::sync::lock;
use std::sync::{Arc, Mutex, OnceLock};

pub(crate) struct Scrape {
    probes: Arc<ProbeRegistry>,
    metrics: Arc<MetricRegistry>,
    collector: Arc<Collector>,
    /// Labels of hams_build_info when a binding set them.
    runtime: SharedRuntime,
    /// Reused between scrapes, so that a render allocates only when it grows.
    snapshot: Mutex<Snapshot>,
    /// Workers mode: the tree's metrics are shown instead of `metrics`
    /// (whose series are part of the tree).
    tree: OnceLock<Arc<TreeMetrics>>,
}

impl Scrape {
    pub(crate) fn new(
        probes: Arc<ProbeRegistry>,
        metrics: Arc<MetricRegistry>,
        collector: Arc<Collector>,
        runtime: SharedRuntime,
    ) -> Scrape {
        Scrape { probes, metrics, collector, runtime, snapshot: Mutex::default(), tree: OnceLock::new() }
    }

    /// Serves the tree's metrics from now on.
    pub(crate) fn set_tree(&self, tree: Arc<TreeMetrics>) {
        let _ = self.tree.set(tree);
    }

    pub(crate) fn collector(&self) -> &Arc<Collector> {
        &self.collector
    }

    /// Writes the document into `body` (cleared first); with the callback's
    /// output when `with_callback`. `server` writes the server's families.
    pub(crate) fn render(
        &self,
        format: Exposition,
        now_ns: u64,
        with_callback: bool,
        body: &mut Vec<u8>,
        server: &dyn Fn(&mut Writer),
    ) {
        body.clear();
        let format = match format {
            Exposition::OpenMetrics => Format::OpenMetrics,
            Exposition::Text => Format::Text,
            Exposition::Protobuf => Format::Protobuf,
        };
        let mut w = Writer::new(body, format);
        self.runtime.with(|rt| builtin::render(&mut w, now_ns, &self.probes, &self.collector, rt, server));
        match self.tree.get() {
            Some(tree) => {
                tree.refresh();
                w.families(tree.mirror(), &mut lock(&self.snapshot));
            }
            None => w.families(&self.metrics, &mut lock(&self.snapshot)),
        }
        if with_callback {
            self.collector.with_output(|text| match format {
                Format::Text => {
                    w.out.extend_from_slice(text.as_bytes());
                    if !text.is_empty() && !text.ends_with('\n') {
                        w.out.push(b'\n');
                    }
                }
                Format::OpenMetrics => validate::to_openmetrics(text, w.out),
                Format::Protobuf => {
                    w.end_family();
                    text_proto::write(text, w.out);
                }
            });
        }
        w.finish();
    }

    /// A parked scrape whose collection did not finish in time.
    pub(crate) fn timed_out(&self) {
        self.collector.count(Failure::Timeout);
    }
}
