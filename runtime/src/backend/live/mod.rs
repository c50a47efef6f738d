//! The live backend: a dispatch under a real Juju unit agent (a packed
//! charm's `dispatch`). Hook tools are the real tools on PATH
//! ([`tools`]), each container's Pebble is its unix socket ([`pebble`]);
//! Juju's uniter owns the hook's transaction, so nothing is buffered here.

pub mod commands;
pub mod loopback;
pub mod pebble;
pub mod tools;

use self::commands::HostCommands;
use self::loopback::HostLoopback;
use self::pebble::{LivePebble, PebbleTransport, SocketPebble};
use self::tools::{LiveTools, PathTools, ToolRunner};
use super::kubernetes::{KubernetesBackend, KubernetesError, KubernetesResult};
use super::loopback::{LoopbackBackend, LoopbackCall, LoopbackResult};
use super::machine::{MachineBackend, MachineResult};
use super::pebble::{PebbleBackend, PebbleCall, PebbleResult};
use super::sandbox::VirtualSandbox;
use super::{Backend, HookCall, HookReply, HookTools, RawToolResult, SandboxBackend, ToolResult};
use crate::bindings::types::RelationId;

/// The backend of a dispatch under a real unit agent: typed calls and raw
/// tool runs go to the real tools, Pebble calls to the containers' sockets;
/// the clock starts at the host's time and randomness comes from a seed,
/// both recorded, so a trace replays.
pub struct LiveBackend<R: ToolRunner = PathTools, T: PebbleTransport = SocketPebble> {
    tools: LiveTools<R>,
    pebble: LivePebble<T>,
    sandbox: VirtualSandbox,
    /// The machine's commands: the charm's declared programs, the pack's
    /// grant (nothing unless [`LiveBackend::with_commands`]).
    commands: HostCommands,
    /// The loopback ports the pack grants (none unless
    /// [`LiveBackend::with_loopback`]).
    loopback: HostLoopback,
}

impl<R: ToolRunner, T: PebbleTransport> LiveBackend<R, T> {
    /// The live backend over `runner` and `transport` for the charm
    /// `meta`; `hook` is the hook's relation (JUJU_RELATION_ID and
    /// JUJU_RELATION), the clock starts at `clock.0` and randomness from
    /// the seed `clock.1`.
    pub fn new(
        runner: R,
        transport: T,
        meta: &crate::charm::CharmMeta,
        hook: (Option<RelationId>, Option<String>),
        clock: (u64, u64),
    ) -> Self {
        let (now_ns, seed) = clock;
        let mut tools = LiveTools::new(runner, hook.0).with_charm(meta);
        if let Some(endpoint) = hook.1 {
            tools = tools.with_hook_endpoint(endpoint);
        }
        LiveBackend {
            tools,
            pebble: LivePebble::new(transport),
            sandbox: VirtualSandbox::new(now_ns, seed),
            commands: HostCommands::none(meta.machine_commands.clone()),
            loopback: HostLoopback::none(),
        }
    }

    /// Run the machine's commands with `commands` (the pack's grant).
    pub fn with_commands(mut self, commands: HostCommands) -> Self {
        self.commands = commands;
        self
    }

    /// Reach the loopback ports of `loopback` (the pack's grant).
    pub fn with_loopback(mut self, loopback: HostLoopback) -> Self {
        self.loopback = loopback;
        self
    }
}

impl<R: ToolRunner, T: PebbleTransport> HookTools for LiveBackend<R, T> {
    fn call(&mut self, call: HookCall) -> ToolResult<HookReply> {
        self.tools.call(call)
    }
}

impl<R: ToolRunner, T: PebbleTransport> PebbleBackend for LiveBackend<R, T> {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        self.pebble.call(container, call)
    }
}

/// Under a unit agent the granted commands run on the machine for real
/// ([`commands`]); the rest are refused.
impl<R: ToolRunner, T: PebbleTransport> MachineBackend for LiveBackend<R, T> {
    fn run_command(&mut self, argv: &[String], stdin: &[u8]) -> MachineResult {
        Ok(self.commands.run(argv, stdin))
    }
}

/// Under a unit agent the Kubernetes API is not reached yet: refused as
/// unavailable (docs/upgrades.md).
impl<R: ToolRunner, T: PebbleTransport> KubernetesBackend for LiveBackend<R, T> {
    fn statefulset_partition(&mut self) -> KubernetesResult {
        Ok(Err(KubernetesError::Unavailable(LIVE_K8S.into())))
    }

    fn set_statefulset_partition(&mut self, _partition: u32) -> KubernetesResult {
        Ok(Err(KubernetesError::Unavailable(LIVE_K8S.into())))
    }
}

/// Under a unit agent a granted loopback port is reached for real; any
/// other is refused as a closed one.
impl<R: ToolRunner, T: PebbleTransport> LoopbackBackend for LiveBackend<R, T> {
    fn loopback(&mut self, port: u16, call: &LoopbackCall) -> LoopbackResult {
        Ok(self.loopback.call(port, call))
    }
}

const LIVE_K8S: &str = "charmbox does not reach the Kubernetes API under a unit agent yet";

impl<R: ToolRunner, T: PebbleTransport> SandboxBackend for LiveBackend<R, T> {
    fn now(&mut self) -> u64 {
        self.sandbox.now()
    }

    fn monotonic(&mut self) -> u64 {
        self.sandbox.monotonic()
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        self.sandbox.random_bytes(len)
    }

    fn sleep(&mut self, ns: u64) -> u64 {
        self.sandbox.sleep(ns)
    }
}

impl<R: ToolRunner + 'static, T: PebbleTransport + 'static> Backend for LiveBackend<R, T> {
    /// Juju's uniter owns the hook's transaction: nothing to commit here.
    fn finish(&mut self, _success: bool) -> Result<(), String> {
        Ok(())
    }

    fn raw_tool(&mut self, argv: &[String], stdin: &[u8]) -> Option<RawToolResult> {
        Some(self.tools.raw(argv, stdin))
    }
}
