#!/usr/bin/env python3
"""chaos.py: a replication chaos suite for vmdird (TAP output).

Three nodes (n1 --init, n2 and n3 --join, agreements in a full mesh), each
in a network namespace of its own with its own address on a bridge that
lives in a hub namespace (all created here and removed at exit). Where
namespaces are not available (not root, no "ip netns"), the nodes run on
127.0.0.1 and a partition is made by setting the node STANDALONE (no
replication in or out).

Every round (a seed drives everything the driver asks of the servers):

  partition  one node is cut off (its link on the bridge goes down), and
             conflicting writes are made on both sides: modify/modify on
             several attributes, add/add on one DN, delete vs modify,
             delete of a parent vs add of a child (both ways at once, the
             two children of one name), rename vs add of a child under the
             old name, rename vs rename, crossed moves (each of two
             entries moved below the other); for half the seeds the cut node is
             also killed (SIGKILL) and restarted while cut; then the link
             comes back.
  storm      the three nodes write the same 50 entries (modify, add,
             delete, modrdn, children) for a number of ticks (one operation
             per node each, all three in flight at once), while one node's
             link flaps and another node is killed with SIGKILL (in the
             middle of its operation) and restarted; long storms kill twice.

After each phase: wait for quiescence (bounded), then check that every
node holds the same directory (tombstones and conflict entries included,
entries and values sorted, leaving out only uSNCreated, uSNChanged,
upToDateVector, lastLocalUsnProcessed and the local-USN field of
attributeMetaData), that the per-attribute metadata is the same, that every
acknowledged add is there exactly once (or its tombstone), and that no
entry (by objectGUID) sits under different parents on different nodes;
after a partition, that the conflicts were decided as the design says. At
the end every node must stop cleanly on SIGTERM, with no sanitizer report
in its log.

The seed fixes the operations, the nodes they go to, their order and the
fault schedule; how replication interleaves with them still varies from
run to run, so a replay usually, not always, fails the same way.
The first line names the seed; CHAOS_SEED=<seed> (or --seed) replays it.
"""
import argparse
import ctypes
import difflib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import ldap
    import ldap.extop
except ImportError:  # pragma: no cover
    print("1..0 # SKIP python-ldap is not installed (python3-ldap)")
    sys.exit(0)

BASE = "dc=vsphere,dc=local"
ADMIN_DN = "cn=Administrator,cn=Users," + BASE
ADMIN_PW = "Adm1n!Chaos"
SITE_DN = "cn=Default-First-Site,cn=Sites,cn=Configuration," + BASE
DELETED = "cn=Deleted Objects," + BASE
STATE_OID = "1.3.6.1.4.1.6876.40.10.4.1"
MARK = "employeeNumber"          # the unique marker of every add we make
LOCAL_ATTRS = {"usncreated", "usnchanged", "uptodatevector", "lastlocalusnprocessed"}
NODES = ("n1", "n2", "n3")
OP_TIMEOUT = float(os.environ.get("CHAOS_OP_TIMEOUT", "30"))


def log(msg):
    for line in str(msg).splitlines() or [""]:
        print("# " + line, flush=True)


# ---------------------------------------------------------------- TAP
class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, good, desc, detail=None):
        self.n += 1
        if good:
            print("ok %d - %s" % (self.n, desc), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, desc), flush=True)
            if detail:
                log(detail)
        return good

    def done(self):
        print("1..%d" % self.n, flush=True)


# ---------------------------------------------------------------- networks
_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def run(cmd, check=True, quiet=False, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                 r.stdout.strip()))
    return r


class NetnsNet:
    """One namespace per node, on a bridge in a hub namespace. A node is cut
    by taking its port on the bridge (the hub's end of its veth) down: the
    node sees its carrier go, its partners lose it. The driver reaches each
    node from inside the node's own namespace (its own address stays
    reachable there), so it can write on both sides of a partition."""
    kind = "netns"

    def __init__(self, subnet):
        self.pfx = "trchaos%d" % os.getpid()
        self.hub = self.pfx + "-hub"
        self.subnet = subnet
        self.made = []

    def ns(self, i):
        return "%s-n%d" % (self.pfx, i)

    def addr(self, i):
        return "%s.%d" % (self.subnet, i)

    def port(self, i):
        return 389

    @staticmethod
    def sweep():
        """Removes the namespaces of earlier runs of this suite whose driver
        died without cleaning up (SIGKILL), and the nodes left in them."""
        r = run(["ip", "netns", "list"], check=False)
        for line in r.stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            m = re.match(r"^trchaos(\d+)-(hub|n\d+)$", name)
            if not m or os.path.exists("/proc/" + m.group(1)):
                continue
            for pid in run(["ip", "netns", "pids", name], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            run(["ip", "netns", "del", name], check=False)
            log("removed the stale namespace %s (its run had died)" % name)

    def setup(self, n):
        self.sweep()
        run(["ip", "netns", "add", self.hub])
        self.made.append(self.hub)
        run(["ip", "-n", self.hub, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", self.hub, "link", "set", "br0", "up"])
        for i in range(1, n + 1):
            ns = self.ns(i)
            run(["ip", "netns", "add", ns])
            self.made.append(ns)
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", self.hub, "link", "add", "v%d" % i, "type", "veth",
                 "peer", "name", "eth0", "netns", ns])
            run(["ip", "-n", self.hub, "link", "set", "v%d" % i, "master", "br0", "up"])
            run(["ip", "-n", ns, "addr", "add", self.addr(i) + "/24", "dev", "eth0"])
            run(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def prefix(self, i):
        return ["ip", "netns", "exec", self.ns(i)]

    def connect(self, i, timeout):
        me = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open("/run/netns/" + self.ns(i), os.O_RDONLY)
        try:
            if _libc.setns(there, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + self.ns(i))
            try:
                s = socket.create_connection((self.addr(i), self.port(i)), timeout)
            finally:
                if _libc.setns(me, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(me)
            os.close(there)
        s.settimeout(None)
        return s

    def after_start(self, i, cluster):
        pass

    def cut(self, i, cluster=None):
        run(["ip", "-n", self.hub, "link", "set", "v%d" % i, "down"])

    def heal(self, i, cluster=None):
        run(["ip", "-n", self.hub, "link", "set", "v%d" % i, "up"])

    def teardown(self):
        for ns in reversed(self.made):
            run(["ip", "netns", "del", ns], check=False)
        self.made = []


class LoopNet:
    """127.0.0.1 only: a cut node is set STANDALONE (its agreements pause:
    no replication in or out), a heal sets it NORMAL again."""
    kind = "loopback"

    def __init__(self):
        self.ports = {}
        self.want = {}

    def addr(self, i):
        return "127.0.0.1"

    def port(self, i):
        if i not in self.ports:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            self.ports[i] = s.getsockname()[1]
            s.close()
        return self.ports[i]

    def setup(self, n):
        pass

    def prefix(self, i):
        return []

    def connect(self, i, timeout):
        return None

    def cut(self, i, cluster):
        self.want[i] = "STANDALONE"
        self.after_start(i, cluster)

    def heal(self, i, cluster):
        self.want[i] = "NORMAL"
        self.after_start(i, cluster)

    def after_start(self, i, cluster):
        """The state persists across restarts, but a node may be down when
        it is cut or healed: the state it should have is set again."""
        n = cluster.node(i)
        if n.alive() and i in self.want:
            n.set_state(self.want[i])

    def teardown(self):
        pass


def netns_available():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False, "not root" if os.geteuid() != 0 else "no ip command"
    name = "trchaos%dprobe" % os.getpid()
    r = run(["ip", "netns", "add", name], check=False)
    if r.returncode != 0:
        return False, r.stdout.strip()
    run(["ip", "netns", "del", name], check=False)
    return True, ""


# ---------------------------------------------------------------- nodes
class Node:
    def __init__(self, cluster, i):
        self.c = cluster
        self.i = i
        self.name = "n%d" % i
        self.dir = os.path.join(cluster.dir, self.name)
        self.data = os.path.join(self.dir, "data")
        self.proc = None
        self._ld = None
        os.makedirs(self.dir, exist_ok=True)

    @property
    def addr(self):
        return self.c.net.addr(self.i)

    @property
    def port(self):
        return self.c.net.port(self.i)

    @property
    def uri(self):
        return "ldap://%s:%d" % (self.addr, self.port)

    def _logf(self):
        return open(os.path.join(self.dir, "vmdird.log"), "a")

    def init(self):
        with self._logf() as f:
            subprocess.run(self.c.net.prefix(self.i) + [
                self.c.vmdird, "--init", "-d", self.data, "--password", ADMIN_PW,
                "--schema-dir", self.c.schema, "--node", self.name],
                stdout=f, stderr=subprocess.STDOUT, check=True)

    def join(self, partner):
        with self._logf() as f:
            subprocess.run(self.c.net.prefix(self.i) + [
                self.c.vmdird, "--join", partner.uri, "-d", self.data, "--password",
                ADMIN_PW, "--node", self.name, "-l", self.addr, "-p", str(self.port),
                "--schema-dir", self.c.schema],
                stdout=f, stderr=subprocess.STDOUT, check=True)

    def start(self):
        env = None
        skew = self.c.skew.get(self.name, 0)
        if skew:
            # its clock off by skew seconds (the monotonic clock left alone)
            env = dict(os.environ, LD_PRELOAD=self.c.faketime, FAKETIME="%+d" % skew,
                       FAKETIME_DONT_FAKE_MONOTONIC="1", FAKETIME_NO_CACHE="1")
        with self._logf() as f:
            f.write("=== start at %s%s\n" % (time.strftime("%H:%M:%S"),
                                            " (clock %+d s)" % skew if skew else ""))
            f.flush()
            self.proc = subprocess.Popen(env=env, args=self.c.net.prefix(self.i) + [
                self.c.vmdird, "-d", self.data, "-l", self.addr, "-p", str(self.port),
                "--schema-dir", self.c.schema, "--log-level",
                os.environ.get("CHAOS_LOG_LEVEL", "info")] + self.c.extra,
                stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited during start-up (status %s)" %
                                   (self.name, self.proc.returncode))
            try:
                self.rootdse("vendorName")
                self.c.net.after_start(self.i, self.c)
                return
            except (ldap.LDAPError, OSError):
                self.reset()
                time.sleep(0.05)
        raise RuntimeError("%s does not answer after 30 s" % self.name)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.reset()
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        """SIGTERM; the exit status (None if it had to be killed)."""
        self.reset()
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        return rc

    # --- LDAP
    def ld(self, bind=True):
        if self._ld is None:
            sock = self.c.net.connect(self.i, 5)
            if sock is not None:
                ld = ldap.initialize(self.uri, fileno=sock.detach())
            else:
                ld = ldap.initialize(self.uri)
            ld.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
            ld.set_option(ldap.OPT_REFERRALS, 0)
            ld.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
            ld.set_option(ldap.OPT_TIMEOUT, OP_TIMEOUT)
            try:
                ld.simple_bind_s(ADMIN_DN, ADMIN_PW)
            except ldap.LDAPError:
                try:
                    ld.unbind_s()
                except ldap.LDAPError:
                    pass
                raise
            self._ld = ld
        return self._ld

    def reset(self):
        if self._ld is not None:
            try:
                self._ld.unbind_s()
            except Exception:
                pass
        self._ld = None

    def call(self, fn, *args, **kw):
        """fn(ld, ...) with one reconnect if the connection was lost."""
        for attempt in (0, 1):
            try:
                return fn(self.ld(), *args, **kw)
            except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, OSError):
                self.reset()
                if attempt == 1:
                    raise

    def rootdse(self, attr):
        r = self.call(lambda ld: ld.search_ext_s("", ldap.SCOPE_BASE, "(objectClass=*)",
                                                  [attr], timeout=OP_TIMEOUT))
        v = r[0][1].get(attr, [b""]) if r else [b""]
        return v[0].decode()

    def usn(self):
        return int(self.rootdse("highestCommittedUSN") or 0)

    def set_state(self, state):
        req = ldap.extop.ExtendedRequest(STATE_OID, ("state " + state).encode())
        self.call(lambda ld: ld.extop_s(req))

    def search(self, base, scope, filt, attrs):
        return self.call(lambda ld: ld.search_ext_s(base, scope, filt, attrs,
                                                     timeout=OP_TIMEOUT))

    def add(self, dn, attrs):
        ml = [(k, [v.encode() if isinstance(v, str) else v for v in
                   (vs if isinstance(vs, list) else [vs])]) for k, vs in attrs.items()]
        return self.call(lambda ld: ld.add_ext_s(dn, ml))

    def modify(self, dn, mods):
        return self.call(lambda ld: ld.modify_ext_s(dn, enc_mods(mods)))

    def delete(self, dn):
        return self.call(lambda ld: ld.delete_ext_s(dn))

    def rename(self, dn, newrdn, newsup=None, delold=1):
        return self.call(lambda ld: ld.rename_s(dn, newrdn, newsup, delold))

    def partner_status(self):
        """(ok, text): every partner 0 changes behind, by vdcrepadmin."""
        if not self.c.vdcrepadmin:
            return True, "(vdcrepadmin not built)"
        try:
            r = run(self.c.net.prefix(self.i) + [
                self.c.vdcrepadmin, "-f", "showpartnerstatus", "-h", self.addr, "-p",
                str(self.port), "-u", "administrator", "-w", ADMIN_PW],
                check=False, timeout=60)
        except subprocess.TimeoutExpired:
            return False, "vdcrepadmin showpartnerstatus did not answer in 60 s"
        behind = [l for l in r.stdout.splitlines() if l.startswith("Partner is ")]
        good = (r.returncode == 0 and "Status available: No" not in r.stdout and
                len(behind) > 0 and all(l == "Partner is 0 changes behind." for l in behind))
        return good, r.stdout


def enc_mods(mods):
    out = []
    for op, attr, vals in mods:
        if vals is not None:
            vals = [v.encode() if isinstance(v, str) else v for v in vals]
        out.append((op, attr, vals))
    return out


class Cluster:
    def __init__(self, args, net, workdir):
        self.net = net
        self.dir = workdir
        self.vmdird = args.vmdird
        self.schema = args.schema_dir
        self.vdcrepadmin = os.path.join(os.path.dirname(self.vmdird), "vdcrepadmin")
        if not os.access(self.vdcrepadmin, os.X_OK):
            self.vdcrepadmin = None
        self.skew = args.skew
        self.faketime = args.faketime
        self.extra = []
        for kv in os.environ.get("CHAOS_VMDIRD_OPTS", "").split():
            self.extra += ["-o", kv]
        self.nodes = []

    def node(self, i):
        return self.nodes[i - 1]

    def up(self):
        self.net.setup(len(NODES))
        self.nodes = [Node(self, i) for i in range(1, len(NODES) + 1)]
        n1 = self.nodes[0]
        n1.init()
        n1.start()
        for n in self.nodes[1:]:
            n.join(n1)
            n.start()
        # a full mesh: the joins made n1 <-> n2 and n1 <-> n3
        for a, b in ((2, 3), (3, 2)):
            A, B = self.node(a), self.node(b)
            n1.add("labeledURI=%s,cn=Replication Agreements,cn=%s,cn=Servers,%s" %
                   (B.uri, A.name, SITE_DN),
                   {"objectClass": "vmwReplicationAgreement", "labeledURI": B.uri})

    def down(self):
        for n in self.nodes:
            try:
                n.kill9()
            except Exception:
                pass
        self.net.teardown()


# ---------------------------------------------------------------- dumps
def text(v):
    return v.decode("utf-8", "backslashreplace")


class Dump:
    """One node's directory: entries by DN (tombstones included)."""

    def __init__(self, node):
        self.node = node.name
        got = {}
        for base in (BASE, DELETED):
            for dn, attrs in node.search(base, ldap.SCOPE_SUBTREE, "(objectClass=*)",
                                         ["*", "+"]):
                if dn is None:
                    continue
                got[dn] = attrs
        self.entries = {}        # dn -> {attr(lower): sorted [values]}
        for dn, attrs in got.items():
            e = {}
            for k, vs in attrs.items():
                kl = k.lower()
                if kl in LOCAL_ATTRS:
                    continue
                vals = [text(v) for v in vs]
                if kl == "attributemetadata":
                    vals = [strip_local_usn(v) for v in vals]
                e.setdefault(kl, []).extend(vals)
            for kl in e:
                e[kl] = sorted(e[kl])
            self.entries[dn] = e
        self.by_guid = {}
        self.dups = []
        for dn, e in self.entries.items():
            g = e.get("objectguid", [None])[0]
            if g is None:
                continue
            g = g.lower()
            if g in self.by_guid:
                self.dups.append((g, self.by_guid[g], dn))
            self.by_guid[g] = dn
        self.dn_guid = {dn.lower(): e.get("objectguid", [None])[0]
                        for dn, e in self.entries.items()}

    def render(self, meta):
        out = []
        for dn in sorted(self.entries, key=lambda d: (d.lower(), d)):
            e = self.entries[dn]
            out.append("dn: " + dn)
            for k in sorted(e):
                if (k == "attributemetadata") != meta:
                    continue
                for v in e[k]:
                    out.append("%s: %s" % (k, v))
            out.append("")
        return out

    def parent_guid(self, dn):
        p = parent_of(dn)
        return (self.dn_guid.get(p.lower()) or ("?" + p)).lower()


def strip_local_usn(v):
    f = v.split(":")
    if len(f) >= 6:
        return ":".join([f[0]] + f[2:])
    return v


def parent_of(dn):
    """The parent of dn (RDN values here never hold an escaped comma)."""
    dns = ldap.dn.str2dn(dn)
    return ldap.dn.dn2str(dns[1:])


def diff_text(a, b, na, nb, limit=80):
    d = list(difflib.unified_diff(a, b, na, nb, n=2, lineterm=""))
    if len(d) > limit:
        d = d[:limit] + ["... (%d more diff lines)" % (len(d) - limit)]
    return "\n".join(d)


# ---------------------------------------------------------------- the suite
class Chaos:
    def __init__(self, args, tap):
        self.args = args
        self.tap = tap
        self.acked = {}          # marker -> (node, dn, guid or None)
        self.unacked = {}        # marker -> (node, dn): outcome unknown
        self.mcount = 0
        self.c = None
        self.last_dumps = None
        self.differing = set()       # objectGUIDs that differ (last check)
        self.prev_differing = set()

    # ---------------- helpers
    def marker(self, rnd):
        self.mcount += 1
        return "m%s-%d-%d" % (self.args.seed, rnd, self.mcount)

    def person(self, cn, marker, **more):
        a = {"objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson"],
             "cn": cn, "sn": cn, MARK: marker}
        a.update(more)
        return a

    def track_add(self, node, dn, attrs, ok, err=None):
        m = attrs.get(MARK)
        if m is None:
            return
        if ok:
            guid = None
            try:
                r = node.search(BASE, ldap.SCOPE_SUBTREE, "(%s=%s)" % (MARK, m),
                                ["objectGUID"])
                if r:
                    guid = text(r[0][1]["objectGUID"][0]).lower()
            except (ldap.LDAPError, OSError, KeyError):
                pass
            self.acked[m] = (node.name, dn, guid)
        elif isinstance(err, (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.OTHER, OSError)):
            self.unacked[m] = (node.name, dn)

    def do_add(self, node, dn, attrs):
        try:
            node.add(dn, attrs)
            self.track_add(node, dn, attrs, True)
            return True
        except (ldap.LDAPError, OSError) as e:
            self.track_add(node, dn, attrs, False, e)
            return False

    def try_op(self, what, fn, *a):
        try:
            fn(*a)
            return True
        except (ldap.LDAPError, OSError) as e:
            log("%s: %s" % (what, errname(e)))
            return False

    def wait_converged(self, what, deadline):
        """Bounded wait: dumps identical, or the nodes quiet (USNs not
        moving, partners 0 behind). Returns the last dumps."""
        t_end = time.time() + deadline
        last_usns, still_since = None, time.time()
        dumps = None
        while True:
            try:
                usns = [n.usn() for n in self.c.nodes]
                dumps = [Dump(n) for n in self.c.nodes]
            except (ldap.LDAPError, OSError) as e:
                log("%s: reading the nodes: %s" % (what, errname(e)))
                usns, dumps = None, None
            if dumps is not None:
                texts = [d.render(False) + d.render(True) for d in dumps]
                if all(t == texts[0] for t in texts[1:]):
                    # identical: make sure nothing is still moving
                    time.sleep(1)
                    try:
                        if [n.usn() for n in self.c.nodes] == usns:
                            log("%s: identical dumps after %.1f s (USNs %s)" %
                                (what, deadline - (t_end - time.time()), usns))
                            return dumps, True
                    except (ldap.LDAPError, OSError):
                        pass
                    continue
            if usns != last_usns:
                last_usns, still_since = usns, time.time()
            elif usns is not None and time.time() - still_since >= self.args.quiet:
                st = [n.partner_status() for n in self.c.nodes]
                if all(s[0] for s in st):
                    log("%s: quiet for %d s (USNs %s), every partner 0 behind, "
                        "but the dumps differ" % (what, self.args.quiet, usns))
                    return dumps, True
            if time.time() >= t_end:
                log("%s: no quiescence within %d s (USNs %s)" % (what, deadline, usns))
                for n in self.c.nodes:
                    ok, out = n.partner_status()
                    log("%s partner status:\n%s" % (n.name, out.strip()))
                return dumps, False
            time.sleep(0.5)

    # ---------------- checks
    def check(self, what, rnd):
        tap = self.tap
        alive = [n.name for n in self.c.nodes if not n.alive()]
        tap.result(not alive, "%s: every node still running" % what,
                   "dead: %s" % alive)
        for n in self.c.nodes:
            if not n.alive():
                tail_log(n)
                n.start()
        dumps, quiet = self.wait_converged(what, self.args.deadline)
        self.last_dumps = dumps
        tap.result(quiet, "%s: quiescence (USNs stop moving, partners 0 behind) "
                   "within %d s" % (what, self.args.deadline))
        if dumps is None:
            tap.result(False, "%s: dumps readable on every node" % what)
            return False
        good = True
        # full dumps on disk, for a look after the run
        for d in dumps:
            with open(os.path.join(self.c.dir, "dump-%s-%s.ldif" % (what.replace(" ", "-"),
                                                                    d.node)), "w") as f:
                f.write("\n".join(d.render(False) + d.render(True)) + "\n")
        # 1. entries and values (metadata apart)
        self.prev_differing, self.differing = self.differing, set()
        texts = [d.render(False) for d in dumps]
        detail = []
        for d, t in zip(dumps[1:], texts[1:]):
            if t != texts[0]:
                detail.append(diff_text(texts[0], t, dumps[0].node, d.node))
        good &= tap.result(not detail, "%s: identical entries on %s (%d entries with "
                           "tombstones and conflict entries; values sorted)" %
                           (what, ", ".join(NODES), len(dumps[0].entries)),
                           "\n".join(detail) + "\n" + self.summarise(dumps) if detail else None)
        # 2. per-attribute metadata
        detail = []
        metas = [d.render(True) for d in dumps]
        for d, t in zip(dumps[1:], metas[1:]):
            if t != metas[0]:
                detail.append(diff_text(metas[0], t, dumps[0].node, d.node))
        good &= tap.result(not detail, "%s: identical per-attribute metadata (local USN "
                           "aside)" % what, "\n".join(detail) if detail else None)
        # 3. acknowledged adds exactly once
        good &= self.check_adds(what, dumps)
        # 4. one parent per objectGUID
        good &= self.check_parents(what, dumps)
        return good

    def summarise(self, dumps):
        """Entries (by objectGUID) that differ, one line each."""
        lines = []
        self.differing = set()
        guids = sorted(set().union(*[set(d.by_guid) for d in dumps]))
        for g in guids:
            names = [d.by_guid.get(g) for d in dumps]
            ents = [d.entries.get(n) if n else None for d, n in zip(dumps, names)]
            if all(n == names[0] for n in names) and all(
                    {k: v for k, v in (e or {}).items() if k != "attributemetadata"} ==
                    {k: v for k, v in (ents[0] or {}).items() if k != "attributemetadata"}
                    for e in ents):
                continue
            parts = []
            for d, n, e in zip(dumps, names, ents):
                if n is None:
                    parts.append("%s: absent" % d.node)
                    continue
                diffs = []
                if e and ents[0] and n == names[0]:
                    for k in sorted(set(e) | set(ents[0])):
                        if k != "attributemetadata" and e.get(k) != ents[0].get(k):
                            diffs.append("%s=%s" % (k, e.get(k)))
                parts.append("%s: %s%s" % (d.node, n, (" [" + "; ".join(diffs) + "]")
                                           if diffs else ""))
            self.differing.add(g)
            lines.append("objectGUID %s%s: %s" % (g, " (already different before)" if g in
                                                   self.prev_differing else "", " | ".join(parts)))
            if len(lines) >= 25:
                lines.append("...")
                break
        return "differing entries by objectGUID:\n" + "\n".join(lines)

    def check_adds(self, what, dumps):
        problems = []
        for d in dumps:
            seen = {}
            for dn, e in d.entries.items():
                for m in e.get(MARK.lower(), []):
                    seen.setdefault(m, []).append(dn)
            for m, dns in seen.items():
                if len(dns) > 1:
                    problems.append("%s: marker %s on %d entries: %s" %
                                    (d.node, m, len(dns), dns))
            tomb_guids = {e.get("objectguid", [""])[0].lower()
                          for dn, e in d.entries.items() if e.get("isdeleted")}
            for m, (origin, dn, guid) in self.acked.items():
                if m in seen:
                    if guid and len(seen[m]) == 1:
                        g = (d.entries[seen[m][0]].get("objectguid", [""])[0]).lower()
                        if g != guid:
                            problems.append("%s: add %s (%s on %s) acknowledged as "
                                            "objectGUID %s, marker now on %s (%s)" %
                                            (d.node, m, dn, origin, guid, g, seen[m][0]))
                    continue
                if guid and guid in tomb_guids:
                    continue
                if guid is None and self.tomb_by_name(d, dn):
                    # deleted before its objectGUID could be read: a
                    # tombstone of its name and parent stands for it
                    continue
                problems.append("%s: acknowledged add %s (%s on %s, objectGUID %s) is "
                                "neither there nor a tombstone" % (d.node, m, dn, origin, guid))
        n = len(self.acked)
        return self.tap.result(not problems, "%s: each of %d acknowledged adds there "
                               "exactly once (or deleted: its tombstone), on every node; "
                               "no marker twice" % (what, n),
                               "\n".join(problems[:40]) if problems else None)

    @staticmethod
    def tomb_by_name(d, dn):
        rdn = ldap.dn.str2dn(dn)[0][0][1].lower()
        parent = parent_of(dn).lower()
        for e in d.entries.values():
            if (e.get("isdeleted") and
                    any(p.lower() == parent for p in e.get("lastknownparent", [])) and
                    any(v.lower().startswith(rdn + " del:") for v in e.get("cn", []))):
                return True
        return False

    def check_parents(self, what, dumps):
        problems = []
        for d in dumps:
            for g, a, b in d.dups:
                problems.append("%s: objectGUID %s twice: %s and %s" % (d.node, g, a, b))
        for d in dumps:
            for dn in d.entries:
                p = parent_of(dn)
                if dn.lower() != BASE.lower() and p.lower() not in d.dn_guid:
                    problems.append("%s: %s has no parent entry (%s)" % (d.node, dn, p))
        guids = set().union(*[set(d.by_guid) for d in dumps])
        for g in sorted(guids):
            where = []
            for d in dumps:
                dn = d.by_guid.get(g)
                where.append((d.node, dn, d.parent_guid(dn) if dn else None))
            parents = {p for _, dn, p in where if dn}
            if len(parents) > 1:
                problems.append("objectGUID %s under different parents: %s" % (
                    g, "; ".join("%s: %s" % (n, dn) for n, dn, _ in where)))
            elif any(dn is None for _, dn, _ in where):
                problems.append("objectGUID %s missing on some nodes: %s" % (
                    g, "; ".join("%s: %s" % (n, dn) for n, dn, _ in where)))
        return self.tap.result(not problems, "%s: every objectGUID once per node, under "
                               "the same parent on every node; every parent there" % what,
                               "\n".join(problems[:40]) if problems else None)

    # ---------------- phases
    def phase_partition(self, rnd):
        rng = random.Random("%s:%d:partition" % (self.args.seed, rnd))
        c = self.c
        top = "cn=chaos%d,%s" % (rnd, BASE)
        n1 = c.node(1)
        n1.add(top, {"objectClass": "container", "cn": "chaos%d" % rnd})
        mk = lambda: self.marker(rnd)
        seeds = [
            ("cn=mm," + top, self.person("mm", mk(), description="original", title="t0",
                                          l="l0", telephoneNumber=["+1 555 0100", "+1 555 0101"])),
            ("cn=victim," + top, self.person("victim", mk(), description="to be deleted")),
            ("cn=parent," + top, {"objectClass": "container", "cn": "parent"}),
            ("cn=parent2," + top, {"objectClass": "container", "cn": "parent2"}),
            ("cn=ren," + top, {"objectClass": "container", "cn": "ren"}),
            ("cn=rr," + top, self.person("rr", mk())),
            ("cn=xa," + top, {"objectClass": "container", "cn": "xa"}),
            ("cn=xb," + top, {"objectClass": "container", "cn": "xb"}),
            ("cn=dp," + top, {"objectClass": "container", "cn": "dp"}),
            ("cn=sub," + top, {"objectClass": "container", "cn": ["sub", "sub-alias"]}),
            ("cn=mid,cn=sub," + top, self.person("mid", mk())),
            ("cn=leaf,cn=mid,cn=sub," + top, self.person("leaf", mk())),
            ("cn=leaf2,cn=mid,cn=sub," + top, self.person("leaf2", mk())),
            ("cn=k1,cn=sub," + top, self.person("k1", mk())),
            ("cn=k2,cn=sub," + top, self.person("k2", mk())),
        ]
        for dn, a in seeds:
            if not self.do_add(n1, dn, a):
                raise RuntimeError("cannot add %s on n1" % dn)
        dumps, ok = self.wait_converged("round %d partition: set-up" % rnd, self.args.deadline)
        cut = rng.randint(1, 3)
        others = [i for i in (1, 2, 3) if i != cut]
        maj = rng.choice(others)
        C, M = c.node(cut), c.node(maj)
        # which side does what, per case
        sides = {k: rng.random() < 0.5 for k in ("victim", "parent", "ren", "rr", "order")}
        log("round %d partition: cut n%d; the other side writes on n%d; sides %s" %
            (rnd, cut, maj, sides))
        c.net.cut(cut, c)
        time.sleep(rng.uniform(0.2, 1.0))

        def A(flag):  # (x, y): x does the first thing, y the second
            return (C, M) if flag else (M, C)

        res = {}                 # what was done: key -> (sequence, ok, marker)

        def op(key, what, fn, *a):
            t = time.time()
            res[key] = (len(res), self.try_op(what, fn, *a), None, t)

        def add(key, node, dn, attrs):
            t = time.time()
            res[key] = (len(res), self.do_add(node, dn, attrs), attrs[MARK], t)

        tel = "+1 555 0%d" % (200 + cut)
        writes = []
        # modify/modify on several attributes
        writes.append(lambda: op("mmC", "mm on " + C.name, C.modify, "cn=mm," + top, [
            (ldap.MOD_REPLACE, "description", ["from %s (cut)" % C.name]),
            (ldap.MOD_REPLACE, "title", ["t-%s" % C.name]),
            (ldap.MOD_ADD, "telephoneNumber", [tel]),
            (ldap.MOD_DELETE, "l", None)]))
        writes.append(lambda: op("mmM", "mm on " + M.name, M.modify, "cn=mm," + top, [
            (ldap.MOD_REPLACE, "description", ["from %s (majority)" % M.name]),
            (ldap.MOD_REPLACE, "sn", ["sn-%s" % M.name]),
            (ldap.MOD_DELETE, "telephoneNumber", ["+1 555 0100"]),
            (ldap.MOD_REPLACE, "l", ["l-%s" % M.name])]))
        # add/add on one DN
        writes.append(lambda: add("twinC", C, "cn=twin," + top,
                                  self.person("twin", mk(), description="twin on " + C.name)))
        writes.append(lambda: add("twinM", M, "cn=twin," + top,
                                  self.person("twin", mk(), description="twin on " + M.name,
                                              telephoneNumber="+1 555 0199")))
        # delete vs modify
        x, y = A(sides["victim"])
        writes.append(lambda: op("victim", "delete victim on " + x.name, x.delete,
                                 "cn=victim," + top))
        writes.append(lambda: op("victim-mod", "modify victim on " + y.name, y.modify,
                                 "cn=victim," + top,
                                 [(ldap.MOD_REPLACE, "description", ["modified on " + y.name])]))
        # delete of a parent vs add of a child, both ways at once: x deletes
        # cn=parent while y adds cn=kid below it, y deletes cn=parent2 while
        # x adds cn=kid below that; each side adds before it deletes, so
        # one orphan reaches LostAndFound before the other has to follow
        x2, y2 = A(sides["parent"])

        def parents():
            add("kid2", x2, "cn=kid,cn=parent2," + top, self.person("kid", mk()))
            add("kid1", y2, "cn=kid,cn=parent," + top, self.person("kid", mk()))
            op("parent", "delete parent on " + x2.name, x2.delete, "cn=parent," + top)
            op("parent2", "delete parent2 on " + y2.name, y2.delete, "cn=parent2," + top)
        writes.append(parents)
        # rename vs add of a child under the old name
        x3, y3 = A(sides["ren"])
        writes.append(lambda: op("ren", "rename ren on " + x3.name, x3.rename, "cn=ren," + top,
                                 "cn=ren-new"))
        writes.append(lambda: add("kid-ren", y3, "cn=kid,cn=ren," + top,
                                  self.person("kid", mk())))
        # rename vs rename (different new names)
        x4, y4 = A(sides["rr"])
        writes.append(lambda: op("rrx", "rename rr on " + x4.name, x4.rename, "cn=rr," + top,
                                 "cn=rr-" + x4.name))
        writes.append(lambda: op("rry", "rename rr on " + y4.name, y4.rename, "cn=rr," + top,
                                 "cn=rr-" + y4.name))
        # both sides' writes interleaved in a seeded order, with small gaps
        # (at least a few milliseconds: the later of two writes must have the
        # later originating time)
        order = list(range(len(writes)))
        rng.shuffle(order)
        # crossed moves: one side moves cn=xa below cn=xb, the other cn=xb
        # below cn=xa (taken apart from the draws above, so that the order
        # of the other writes stays what it was for a seed)
        rx = random.Random("%s:%d:partition-cross" % (self.args.seed, rnd))
        x5, y5 = A(rx.random() < 0.5)
        writes.append(lambda: op("xa", "move xa on " + x5.name, x5.rename, "cn=xa," + top,
                                 "cn=xa", "cn=xb," + top))
        writes.append(lambda: op("xb", "move xb on " + y5.name, y5.rename, "cn=xb," + top,
                                 "cn=xb", "cn=xa," + top))
        for k in (len(writes) - 2, len(writes) - 1):
            order.insert(rx.randint(0, len(order)), k)
        # delete of a parent vs a move of a subtree below it: one side
        # deletes cn=dp, the other moves cn=sub (two cn values, three
        # children, one with two children of its own) below it
        rs = random.Random("%s:%d:partition-subtree" % (self.args.seed, rnd))
        x6, y6 = A(rs.random() < 0.5)
        writes.append(lambda: op("dp", "delete dp on " + x6.name, x6.delete, "cn=dp," + top))
        writes.append(lambda: op("sub", "move sub on " + y6.name, y6.rename, "cn=sub," + top,
                                 "cn=sub", "cn=dp," + top))
        for k in (len(writes) - 2, len(writes) - 1):
            order.insert(rs.randint(0, len(order)), k)
        for k in order:
            if k in self.args.skip:
                continue
            writes[k]()
            time.sleep(rng.uniform(0.005, 0.05))
        time.sleep(rng.uniform(0.2, 1.5))
        # drawn apart, so the earlier draws of a seed stay as they were
        if random.Random("%s:%d:partition-kill" % (self.args.seed, rnd)).random() < 0.5:
            C.kill9()
            log("round %d partition: n%d killed (SIGKILL) while cut, and restarted" % (rnd, cut))
            C.start()
        c.net.heal(cut, c)
        log("round %d partition: healed n%d" % (rnd, cut))
        good = self.check("round %d partition" % rnd, rnd)
        if self.last_dumps is not None:
            self.check_outcomes("round %d partition" % rnd, top, res, C, M, tel)
        return good

    def check_outcomes(self, what, top, res, C, M, tel):
        """The conflicts were decided as designed, on every node."""
        def done(k):
            return k in res and res[k][1]

        want = []               # (description, dn, attr or None, expected values or None)
        mm = "cn=mm," + top
        if done("mmC") and done("mmM"):
            # later by the writers' clocks (--skew moves a node's clock)
            sk = self.c.skew
            c_later = (res["mmC"][3] + sk.get(C.name, 0) > res["mmM"][3] + sk.get(M.name, 0))
            want.append(("modify/modify: the later write's description", mm, "description",
                         ["from %s (cut)" % C.name] if c_later
                         else ["from %s (majority)" % M.name]))
            want.append(("modify/modify: l as the later write left it", mm, "l",
                         [] if c_later else ["l-%s" % M.name]))
            want.append(("modify/modify: telephoneNumber as the later write left it", mm,
                         "telephoneNumber", sorted(["+1 555 0100", "+1 555 0101", tel])
                         if c_later else ["+1 555 0101"]))
            want.append(("modify/modify: title set on one side only", mm, "title",
                         ["t-%s" % C.name]))
            want.append(("modify/modify: sn set on one side only", mm, "sn",
                         ["sn-%s" % M.name]))
        problems = []
        n = len(want) + sum(1 for k in ("victim", "twinM", "kid1", "kid2", "kid-ren", "sub")
                            if done(k))
        for d in self.last_dumps:
            byl = {dn.lower(): e for dn, e in d.entries.items()}
            bymark = {}
            for dn, e in d.entries.items():
                for m in e.get(MARK.lower(), []):
                    bymark[m] = dn
            for desc, dn, attr, vals in want:
                e = byl.get(dn.lower())
                got = sorted(e.get(attr.lower(), [])) if e else None
                if got != sorted(vals):
                    problems.append("%s: %s: %s is %s, want %s" % (d.node, desc, attr, got, vals))
            if done("victim"):
                live = [dn for dn in d.entries if dn.lower() == ("cn=victim," + top).lower()]
                if live:
                    problems.append("%s: delete vs modify: cn=victim is alive" % d.node)
            if done("twinC") and done("twinM"):
                names = sorted(bymark.get(res[k][2], "(missing)") for k in ("twinC", "twinM"))
                plain = [n for n in names if n.lower() == ("cn=twin," + top).lower()]
                cnf = [n for n in names if n.lower().startswith("cn=twin cnf:")]
                if len(plain) != 1 or len(cnf) != 1:
                    problems.append("%s: add/add: want cn=twin and one cn=twin CNF:<guid>, "
                                    "got %s" % (d.node, names))
            for kid, parent in (("kid1", "parent"), ("kid2", "parent2")):
                if done(kid) and done(parent):
                    dn = bymark.get(res[kid][2], "(missing)")
                    if not dn.lower().endswith(",cn=lostandfound," + BASE.lower()):
                        problems.append("%s: delete of %s vs add of a child: the child is "
                                        "%s, want it in cn=LostAndFound" % (d.node, parent, dn))
            if done("dp") and done("sub"):
                sub = [dn for dn, e in d.entries.items()
                       if any(v.lower() == "sub" or v.lower().startswith("sub cnf:")
                              for v in e.get("cn", [])) and not e.get("isdeleted")]
                if not any(dn.lower().endswith(",cn=lostandfound," + BASE.lower()) for dn in sub):
                    problems.append("%s: delete of cn=dp vs the move of cn=sub below it: cn=sub "
                                    "is %s, want it in cn=LostAndFound" % (d.node, sub))
            if done("ren") and done("kid-ren"):
                dn = bymark.get(res["kid-ren"][2], "(missing)")
                if dn.lower() != ("cn=kid,cn=ren-new," + top).lower():
                    problems.append("%s: rename vs add of a child under the old name: the "
                                    "child is %s, want cn=kid,cn=ren-new,%s" % (d.node, dn, top))
        return self.tap.result(not problems, "%s: conflicts decided as designed on every node "
                               "(%d checks: later write wins per attribute, delete beats modify, "
                               "add/add keeps both, orphans in LostAndFound, a child follows its "
                               "renamed parent)" % (what, n), "\n".join(problems))

    def phase_storm(self, rnd):
        rng = random.Random("%s:%d:storm" % (self.args.seed, rnd))
        c = self.c
        top = "cn=storm%d,%s" % (rnd, BASE)
        pool = 60
        n1 = c.node(1)
        n1.add(top, {"objectClass": "container", "cn": "storm%d" % rnd})
        for k in range(50):
            self.do_add(n1, "cn=s%d,%s" % (k, top), self.person("s%d" % k, self.marker(rnd),
                                                              description="start"))
        self.wait_converged("round %d storm: set-up" % rnd, self.args.deadline)
        ticks = self.args.ticks
        flap, kill = rng.sample([1, 2, 3], 2)
        kill_at = rng.randint(ticks // 5, ticks // 2)
        restart_at = kill_at + rng.randint(ticks // 10, ticks // 4)
        # long storms stretch some rounds' flaps (longer partitions, more
        # writes on both sides), by a factor drawn apart from the rest
        scale = (random.Random("%s:%d:flap-scale" % (self.args.seed, rnd)).choice([1, 1, 2, 4])
                 if ticks >= 200 else 1)
        flaps, t, down = {}, rng.randint(2, 10), False
        while t < ticks:
            flaps[t] = not down
            down = not down
            t += scale * (rng.randint(3, 20) if down else rng.randint(3, 25))
        # kills: (tick, node) and restarts: tick -> node; long runs have a
        # second kill, of any node, drawn apart so that the first schedule
        # stays what it was for a given seed
        kills, restarts = {kill_at: kill}, {restart_at: kill}
        if ticks >= 200:
            r2 = random.Random("%s:%d:storm-kill2" % (self.args.seed, rnd))
            k2 = r2.randint(1, 3)
            at2 = r2.randint(restart_at + 5, max(restart_at + 6, ticks * 17 // 20))
            kills[at2] = k2
            restarts[at2 + r2.randint(ticks // 20, ticks // 8)] = k2
        log("round %d storm: %d ticks; n%d's link flaps %d times (lengths x%d); kills "
            "(tick: node) %s, restarts %s" % (rnd, ticks, flap, len(flaps) // 2 + len(flaps) % 2,
                                              scale,
                             {t: "n%d" % i for t, i in kills.items()},
                             {t: "n%d" % i for t, i in restarts.items()}))
        children = []             # every child DN asked for (deterministic)
        self.rx = random.Random("%s:%d:storm-x" % (self.args.seed, rnd))
        stats = {"ok": 0, "fail": 0, "lost": 0}
        is_down = False
        for tick in range(ticks):
            if tick in flaps:
                if flaps[tick]:
                    c.net.cut(flap, c)
                else:
                    c.net.heal(flap, c)
                is_down = flaps[tick]
            if tick in restarts and not c.node(restarts[tick]).alive():
                c.node(restarts[tick]).start()
                log("tick %d: n%d restarted" % (tick, restarts[tick]))
            ops = []
            born = []             # children asked for in this tick: deleted or
            for i in (1, 2, 3):   # moved from the next tick on (not before the
                for _ in range(self.args.inflight):   # add's objectGUID is read)
                    ops.append((c.node(i), self.storm_op(rng, rnd, top, pool, i, tick,
                                                         children, born)))
            # every node's op in flight at once
            pending = []
            for node, (kind, dn, fn, attrs) in ops:
                if not node.alive():
                    continue
                try:
                    pending.append((node, kind, dn, attrs, fn(node.ld())))
                except (ldap.LDAPError, OSError) as e:
                    node.reset()
                    stats["fail"] += 1
                    self.track_add(node, dn, attrs or {}, False, e)
            if tick in kills:
                if tick == kill_at:
                    time.sleep(rng.uniform(0, 0.01))
                c.node(kills[tick]).kill9()
                log("tick %d: n%d killed (SIGKILL)" % (tick, kills[tick]))
            for node, kind, dn, attrs, msgid in pending:
                try:
                    if node._ld is None:
                        raise ldap.SERVER_DOWN({"desc": "killed"})
                    node._ld.result3(msgid, all=1, timeout=OP_TIMEOUT)
                    stats["ok"] += 1
                    if attrs:
                        self.track_add(node, dn, attrs, True)
                except (ldap.LDAPError, OSError) as e:
                    if isinstance(e, (ldap.SERVER_DOWN, ldap.TIMEOUT)):
                        node.reset()
                        stats["lost"] += 1
                    else:
                        stats["fail"] += 1
                    if attrs:
                        self.track_add(node, dn, attrs, False, e)
            children.extend(dn for dn in born if dn not in children)
            time.sleep(self.args.tick_ms / 1000.0)
        if is_down:
            c.net.heal(flap, c)
        for i in (1, 2, 3):
            if not c.node(i).alive():
                c.node(i).start()
        log("round %d storm: %d operations succeeded, %d refused, %d unanswered (killed "
            "or timed out)" % (rnd, stats["ok"], stats["fail"], stats["lost"]))
        return self.check("round %d storm" % rnd, rnd)

    def storm_op(self, rng, rnd, top, pool, i, tick, children, born):
        """One operation for node i: (kind, dn, fn(ld) -> msgid, add attrs)."""
        k = rng.randrange(pool)
        s = "cn=s%d,%s" % (k, top)
        r = rng.random()
        if r < 0.40:
            mods = []
            for _ in range(rng.randint(1, 3)):
                a = rng.choice(["description", "title", "l", "telephoneNumber", "mail",
                                "sn"])
                v = "%s-n%d-t%d-%d" % (a[:2], i, tick, rng.randrange(1000))
                if a == "telephoneNumber":
                    op = rng.choice([ldap.MOD_ADD, ldap.MOD_REPLACE])
                    v = "+1 555 %04d" % rng.randrange(10000)
                elif a == "sn":
                    op = ldap.MOD_REPLACE
                else:
                    op = rng.choice([ldap.MOD_REPLACE, ldap.MOD_REPLACE, None])
                mods.append((op if op is not None else ldap.MOD_REPLACE, a,
                             None if op is None else [v]))
            em = enc_mods(mods)
            return ("modify", s, lambda ld: ld.modify_ext(s, em), None)
        if r < 0.55:
            # half the children take a name from a small pool that every
            # node uses (add/add under one parent), half a name of their own
            if rng.random() < 0.5 and self.args.shared_children > 0:
                cn = "k%d" % rng.randrange(self.args.shared_children)
            else:
                cn = "k%d-%d-%d" % (rnd, i, tick)
            dn = "cn=%s,%s" % (cn, s)
            born.append(dn)
            attrs = self.person(cn, self.marker(rnd))
            ml = [(a, [x.encode() for x in (v if isinstance(v, list) else [v])])
                  for a, v in attrs.items()]
            return ("add child", dn, lambda ld: ld.add_ext(dn, ml), attrs)
        if r < 0.65:
            attrs = self.person("s%d" % k, self.marker(rnd), description="re-added n%d" % i)
            ml = [(a, [x.encode() for x in (v if isinstance(v, list) else [v])])
                  for a, v in attrs.items()]
            return ("add", s, lambda ld: ld.add_ext(s, ml), attrs)
        if r < 0.73 and children:
            dn = rng.choice(children)
            return ("delete child", dn, lambda ld: ld.delete_ext(dn), None)
        if r < 0.81:
            return ("delete", s, lambda ld: ld.delete_ext(s), None)
        if r < 0.93:
            j = rng.randrange(pool)
            # variations drawn apart, so that a seed's other draws stay
            x = self.rx.random()
            if x < 0.15:    # a move below another of the 50, keeping the name
                sup = "cn=s%d,%s" % (self.rx.randrange(pool), top)
                return ("move", s, lambda ld: ld.rename(s, "cn=s%d" % k, sup, 1), None)
            delold = 0 if x < 0.35 else 1   # 0: the old cn value stays
            return ("modrdn", s, lambda ld: ld.rename(s, "cn=s%d" % j, None, delold), None)
        if children:
            dn = rng.choice(children)
            newsup = "cn=s%d,%s" % (rng.randrange(pool), top)
            rdn = dn.split(",", 1)[0]
            return ("move child", dn, lambda ld: ld.rename(dn, rdn, newsup, 1), None)
        return ("modify", s, lambda ld: ld.modify_ext(
            s, [(ldap.MOD_REPLACE, "description", [b"d"])]), None)

    def main(self, net, workdir):
        self.c = Cluster(self.args, net, workdir)
        self.c.up()
        dumps, ok = self.wait_converged("start", self.args.deadline)
        self.tap.result(ok, "3 nodes (%s) up, joined and in a full mesh" % net.kind)
        for rnd in range(1, self.args.rounds + 1):
            if "partition" in self.args.phases:
                self.phase_partition(rnd)
            if "storm" in self.args.phases:
                self.phase_storm(rnd)
        self.finish()

    def finish(self):
        """Every node stopped with SIGTERM (so that a sanitizer build runs
        its leak check), then: clean exits, no sanitizer report in a log."""
        bad = []
        for n in self.c.nodes:
            rc = n.stop()
            if rc != 0:
                bad.append("%s: %s" % (n.name, "did not stop within 30 s" if rc is None
                                       else "exit status %d" % rc))
        self.tap.result(not bad, "every node stops cleanly on SIGTERM", "\n".join(bad))
        found = []
        pat = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:")
        for n in self.c.nodes:
            try:
                with open(os.path.join(n.dir, "vmdird.log"), errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            for k, line in enumerate(lines):
                if pat.search(line):
                    found.append("%s:\n%s" % (n.name, "\n".join(lines[k:k + 12])))
                    break
        self.tap.result(not found, "no sanitizer report in the node logs",
                        "\n".join(found)[:4000])


def errname(e):
    if isinstance(e, ldap.LDAPError) and e.args and isinstance(e.args[0], dict):
        d = e.args[0]
        return "%s%s" % (d.get("desc", type(e).__name__),
                         (" (" + d["info"] + ")") if d.get("info") else "")
    return "%s: %s" % (type(e).__name__, e)


def tail_log(node, n=15):
    try:
        with open(os.path.join(node.dir, "vmdird.log")) as f:
            lines = f.readlines()[-n:]
        log("--- %s log (last %d lines)\n%s" % (node.name, n, "".join(lines)))
    except OSError:
        pass


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top_src = os.environ.get("top_srcdir", os.path.normpath(os.path.join(here, "../..")))
    top_build = os.environ.get("top_builddir", top_src)
    ap = argparse.ArgumentParser(
        description="Trellis replication chaos suite (TAP)",
        epilog="environment: CHAOS_VMDIRD_OPTS (vmdird settings for every node, e.g. "
               "'repl_page_size=3 repl_interval=5'), CHAOS_LOG_LEVEL (default info), "
               "CHAOS_OP_TIMEOUT (seconds per LDAP operation, default 30); "
               "the options' CHAOS_* variables are named with them")
    ap.add_argument("--seed", default=os.environ.get("CHAOS_SEED"),
                    help="seed (default: CHAOS_SEED, else a new one, printed)")
    ap.add_argument("--soak", type=int, metavar="N",
                    default=int(os.environ.get("CHAOS_ROUNDS", "1")),
                    help="rounds (partition + storm each; CHAOS_ROUNDS, default 1)")
    ap.add_argument("--ticks", type=int, default=int(os.environ.get("CHAOS_TICKS", "0")),
                    help="storm ticks per round (3 operations each; default 120, "
                         "250 with --soak > 1)")
    ap.add_argument("--tick-ms", type=int, default=int(os.environ.get("CHAOS_TICK_MS", "30")),
                    help="pause between storm ticks, ms (CHAOS_TICK_MS, default 30)")
    ap.add_argument("--shared-children", type=int,
                    default=int(os.environ.get("CHAOS_SHARED_CHILDREN", "6")),
                    help="storm children named from a pool of this many names that "
                         "every node uses (0: every child a name of its own)")
    ap.add_argument("--inflight", type=int, default=int(os.environ.get("CHAOS_INFLIGHT", "1")),
                    help="storm operations in flight per node and tick (CHAOS_INFLIGHT, "
                         "default 1)")
    ap.add_argument("--skew", default=os.environ.get("CHAOS_SKEW", ""),
                    help="clock offsets, e.g. n3:+300,n1:-90 (seconds; CHAOS_SKEW), with "
                         "libfaketime")
    ap.add_argument("--phases", default=os.environ.get("CHAOS_PHASES", "partition,storm"),
                    help="phases of a round, comma-separated (CHAOS_PHASES, default "
                         "partition,storm)")
    ap.add_argument("--skip", default=os.environ.get("CHAOS_SKIP", ""),
                    help="partition writes to leave out, comma-separated indexes "
                         "(CHAOS_SKIP; see tests/chaos/KNOWN.md)")
    ap.add_argument("--deadline", type=int, default=int(os.environ.get("CHAOS_DEADLINE", "150")),
                    help="seconds to wait for quiescence (default 150)")
    ap.add_argument("--quiet", type=int, default=int(os.environ.get("CHAOS_QUIET", "10")),
                    help="seconds of unmoving USNs that count as quiet (default 10)")
    ap.add_argument("--net", choices=["auto", "netns", "loopback"],
                    default=os.environ.get("CHAOS_NET", "auto"),
                    help="netns: a namespace per node (root); loopback: 127.0.0.1, a "
                         "cut node set STANDALONE; auto (default): netns when possible")
    ap.add_argument("--subnet", default=os.environ.get("CHAOS_SUBNET", "10.77.0"),
                    help="the /24 of the nodes inside the namespaces (default 10.77.0)")
    ap.add_argument("--vmdird", default=os.environ.get(
        "VMDIRD", os.path.join(top_build, "vmdird")),
                    help="the server (VMDIRD, default $top_builddir/vmdird)")
    ap.add_argument("--schema-dir", default=os.path.join(top_src, "schema"))
    ap.add_argument("--keep", action="store_true", default=bool(os.environ.get("KEEP")),
                    help="keep the nodes' directory even when every check passes (KEEP)")
    args = ap.parse_args()
    if (not os.access(args.vmdird, os.X_OK) and "VMDIRD" not in os.environ and
            os.access(os.path.join(top_src, "build", "vmdird"), os.X_OK)):
        args.vmdird = os.path.join(top_src, "build", "vmdird")   # scripts/build.sh's
    if args.seed is None:
        args.seed = str(random.SystemRandom().randrange(1, 10 ** 6))
    args.rounds = max(1, args.soak)
    if args.ticks <= 0:
        args.ticks = 120 if args.rounds == 1 else 250
    args.phases = set(args.phases.split(","))
    args.skip = {int(x) for x in args.skip.split(",") if x.strip()}
    skew = {}
    for item in args.skew.split(","):
        if item.strip():
            name, _, off = item.partition(":")
            skew[name.strip()] = int(off)
    args.skew = skew
    args.faketime = None
    if skew:
        for lib in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                    "/usr/lib/faketime/libfaketimeMT.so.1",
                    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"):
            if os.path.exists(lib):
                args.faketime = lib
                break
        if args.faketime is None:
            print("1..0 # SKIP --skew needs libfaketime (Debian package libfaketime)")
            return 0

    tap = Tap()
    print("# seed %s" % args.seed, flush=True)
    print("# replay: CHAOS_SEED=%s%s tests/chaos/test_chaos.sh" % (
        args.seed, (" CHAOS_ROUNDS=%d" % args.rounds) if args.rounds > 1 else ""), flush=True)
    if not os.access(args.vmdird, os.X_OK):
        print("1..0 # SKIP vmdird not built (%s)" % args.vmdird)
        return 0
    if args.net == "loopback":
        net = LoopNet()
    else:
        good, why = netns_available()
        if good:
            net = NetnsNet(args.subnet)
        elif args.net == "netns":
            print("Bail out! network namespaces unavailable: %s" % why)
            return 1
        else:
            log("network namespaces unavailable (%s): loopback, a cut pauses the "
                "node's agreements (STANDALONE)" % why)
            net = LoopNet()
    workdir = tempfile.mkdtemp(prefix="trellis-chaos.", dir=os.environ.get("TMPDIR", "/tmp"))
    log("nodes in %s (%s)" % (workdir, net.kind))
    chaos = Chaos(args, tap)

    def on_signal(sig, frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    t0 = time.time()
    try:
        chaos.main(net, workdir)
    except SystemExit:
        tap.result(False, "interrupted")
        raise
    except Exception as e:  # a set-up step or a node that will not start
        import traceback
        tap.result(False, "the run went through", traceback.format_exc())
    finally:
        if chaos.c is not None:
            if tap.failed:
                for n in chaos.c.nodes:
                    tail_log(n)
            chaos.c.down()
        else:
            net.teardown()
        keep = args.keep or tap.failed
        if keep:
            log("scratch directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log("seed %s: %d failed of %d, %.0f s" % (args.seed, tap.failed, tap.n, time.time() - t0))
    tap.done()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
