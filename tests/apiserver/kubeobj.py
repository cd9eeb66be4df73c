"""What the test API server knows about each kind: the resource table
(discovery, scope, verbs), selectors, the registry strategies (defaults on
create, what an update may change), the server-side table columns kubectl
prints, and the Status errors.  Each rule names the Kubernetes code it
follows (k8s.io/kubernetes pkg/registry/..., k8s.io/apiserver ...), so that a
difference from the real server is a bug here, not a design choice.
"""
import datetime
import json
import random
import time
import uuid


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(
        ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    if not s:
        return None
    s = s.rstrip("Z").split(".")[0]
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None


def new_uid():
    return str(uuid.uuid4())


def dumps(obj):
    """Go's encoding/json: compact, no ASCII escaping of non-ASCII."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --- Status errors (k8s.io/apimachinery/pkg/api/errors) ----------------------

class APIError(Exception):
    def __init__(self, code, reason, message, details=None, headers=()):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = tuple(headers)

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {},
             "status": "Failure", "message": self.message,
             "reason": self.reason}
        if self.details is not None:
            s["details"] = self.details
        s["code"] = self.code
        return s


def qualified(res):
    return res.name + ("." + res.group if res.group else "")


def _details(res, name, **more):
    d = {}
    if name:
        d["name"] = name
    if res.group:
        d["group"] = res.group
    d["kind"] = res.name
    d.update(more)
    return d


def not_found(res, name):
    return APIError(404, "NotFound", f'{qualified(res)} "{name}" not found',
                    _details(res, name))


def already_exists(res, name):
    return APIError(409, "AlreadyExists",
                    f'{qualified(res)} "{name}" already exists',
                    _details(res, name))


def conflict(res, name, why):
    return APIError(409, "Conflict",
                    f'Operation cannot be fulfilled on {qualified(res)} '
                    f'"{name}": {why}', _details(res, name))


OPTIMISTIC_LOCK = ("the object has been modified; please apply your changes "
                   "to the latest version and try again")


def precondition_failed(res, ns, name, what, want, have):
    # storage.Preconditions.Check's NewInvalidObjError, wrapped by
    # storeerr.InterpretDeleteError/InterpretUpdateError into a Conflict
    key = f"/registry/{res.storage}/" + (f"{ns}/" if ns else "") + name
    return conflict(res, name,
                    f"StorageError: invalid object, Code: 4, Key: {key}, "
                    f"ResourceVersion: 0, AdditionalErrorMsg: Precondition "
                    f"failed: {what} in precondition: {want}, {what} in "
                    f"object meta: {have}")


def forbidden(res, name, why):
    what = f'{qualified(res)} "{name}"' if name else qualified(res)
    return APIError(403, "Forbidden", f"{what} is forbidden: {why}",
                    _details(res, name))


def invalid(res, name, causes):
    """causes: [(field, message)]; message like 'Required value'."""
    text = ", ".join(f"{f}: {m}" for f, m in causes)
    kind = res.kind
    detail = {"name": name}
    if res.group:
        detail["group"] = res.group
    detail["kind"] = kind
    detail["causes"] = [{"reason": _cause_reason(m), "message": m,
                         "field": f} for f, m in causes]
    return APIError(422, "Invalid", f'{kind} "{name}" is invalid: {text}',
                    detail)


def _cause_reason(msg):
    for prefix, reason in (("Required value", "FieldValueRequired"),
                           ("Forbidden", "FieldValueForbidden"),
                           ("Unsupported value", "FieldValueNotSupported"),
                           ("Duplicate value", "FieldValueDuplicate")):
        if msg.startswith(prefix):
            return reason
    return "FieldValueInvalid"


def bad_request(msg):
    return APIError(400, "BadRequest", msg)


def unauthorized():
    return APIError(401, "Unauthorized", "Unauthorized")


def method_not_allowed(msg="the server does not allow this method on the "
                       "requested resource"):
    return APIError(405, "MethodNotAllowed", msg)


def expired(msg):
    return APIError(410, "Expired", msg)


# --- selectors ---------------------------------------------------------------

def parse_field_selector(text):
    reqs = []
    if not text:
        return reqs
    for term in text.split(","):
        if not term:
            continue
        for op in ("!=", "==", "="):
            if op in term:
                k, v = term.split(op, 1)
                reqs.append((k.strip(), "!=" if op == "!=" else "=",
                             v.strip()))
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand "
                              f"'{term}'")
    return reqs


def _split_top(text):
    # split at commas outside parentheses ("a in (x,y),b")
    out, depth, cur = [], 0, ""
    for c in text:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    out.append(cur)
    return [t.strip() for t in out if t.strip()]


def parse_label_selector(text):
    reqs = []
    if not text:
        return reqs
    for term in _split_top(text):
        low = f" {term} "
        if " notin " in low or " in " in low:
            op = "notin" if " notin " in low else "in"
            k, rest = term.split(f" {op} ", 1) if f" {op} " in term else \
                (None, None)
            rest = (rest or "").strip()
            if k is None or not (rest.startswith("(") and rest.endswith(")")):
                raise bad_request(f"unable to parse requirement: {term}")
            vals = {v.strip() for v in rest[1:-1].split(",") if v.strip()}
            reqs.append((k.strip(), op, vals))
        elif "!=" in term:
            k, v = term.split("!=", 1)
            reqs.append((k.strip(), "!=", {v.strip()}))
        elif "==" in term or "=" in term:
            k, v = term.split("==" if "==" in term else "=", 1)
            reqs.append((k.strip(), "=", {v.strip()}))
        elif term.startswith("!"):
            reqs.append((term[1:].strip(), "!", set()))
        else:
            reqs.append((term, "exists", set()))
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for k, op, vals in reqs:
        have = k in labels
        v = labels.get(k)
        if op == "=" and not (have and v in vals):
            return False
        if op == "!=" and have and v in vals:
            return False
        if op == "in" and not (have and v in vals):
            return False
        if op == "notin" and have and v in vals:
            return False
        if op == "exists" and not have:
            return False
        if op == "!" and have:
            return False
    return True


# --- field labels per kind (pkg/registry/*/strategy.go ToSelectableFields) ---

def _meta_fields(obj, namespaced):
    m = obj.get("metadata", {})
    f = {"metadata.name": m.get("name", "")}
    if namespaced:
        f["metadata.namespace"] = m.get("namespace", "")
    return f


def _b(v):
    return "true" if v else "false"


def pod_fields(obj):
    spec, st = obj.get("spec", {}), obj.get("status", {})
    f = _meta_fields(obj, True)
    f.update({
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.restartPolicy": spec.get("restartPolicy", ""),
        "spec.schedulerName": spec.get("schedulerName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "spec.hostNetwork": _b(spec.get("hostNetwork")),
        "status.phase": st.get("phase", ""),
        "status.podIP": st.get("podIP", ""),
        "status.nominatedNodeName": st.get("nominatedNodeName", ""),
    })
    return f


def node_fields(obj):
    f = _meta_fields(obj, False)
    f["spec.unschedulable"] = _b(obj.get("spec", {}).get("unschedulable"))
    return f


def event_fields(obj):
    f = _meta_fields(obj, True)
    io = obj.get("involvedObject", {})
    for k in ("kind", "namespace", "name", "uid", "apiVersion",
              "resourceVersion", "fieldPath"):
        f["involvedObject." + k] = io.get(k, "")
    f["reason"] = obj.get("reason", "")
    f["reportingComponent"] = obj.get("reportingComponent", "")
    f["source"] = obj.get("source", {}).get("component", "")
    f["type"] = obj.get("type", "")
    return f


def namespace_fields(obj):
    f = _meta_fields(obj, False)
    f["status.phase"] = obj.get("status", {}).get("phase", "")
    return f


def fields_match(res, reqs, obj):
    fields = res.fields(obj)
    for k, op, v in reqs:
        have = fields.get(k, "")
        if (have == v) != (op == "="):
            return False
    return True


def check_field_labels(res, reqs):
    known = res.fields({"metadata": {}})
    for k, _, _ in reqs:
        if k not in known:
            raise bad_request(f'field label not supported: {k}')


# --- defaults and strategies ------------------------------------------------

def _image_pull_policy(image):
    # pkg/apis/core/v1/defaults.go SetDefaults_Container
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    if ":" not in tail or tail.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _default_container(c):
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if "image" in c:
        c.setdefault("imagePullPolicy", _image_pull_policy(c["image"]))
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")


def _qos(spec):
    # pkg/apis/core/helper/qos GetPodQOS, for cpu and memory
    reqs, lims, guaranteed, any_set = {}, {}, True, False
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        r = c.get("resources", {})
        rq, lm = r.get("requests", {}), r.get("limits", {})
        for k in ("cpu", "memory"):
            if k in rq or k in lm:
                any_set = True
            if k not in lm or (k in rq and rq[k] != lm[k]):
                guaranteed = False
        reqs.update(rq)
        lims.update(lm)
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
     "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
     "effect": "NoExecute", "tolerationSeconds": 300},
]


def pod_prepare_create(obj):
    """Defaulting (core/v1/defaults.go), admission the real server runs by
    default (ServiceAccount without the token volume, Priority,
    DefaultTolerationSeconds) and podStrategy.PrepareForCreate."""
    spec = obj.setdefault("spec", {})
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        _default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    ann = obj.get("metadata", {}).get("annotations") or {}
    if "kubernetes.io/config.mirror" not in ann:
        # the ServiceAccount admission plugin leaves mirror pods alone
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    tol = spec.setdefault("tolerations", [])
    for t in DEFAULT_TOLERATIONS:
        if not any(x.get("key") == t["key"] for x in tol):
            tol.append(dict(t))
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    obj["status"] = {"phase": "Pending", "qosClass": _qos(spec)}


def pod_validate(obj):
    spec = obj.get("spec", {})
    causes = []
    cs = spec.get("containers")
    if not cs:
        causes.append(("spec.containers", "Required value"))
    names = set()
    for i, c in enumerate(cs or []):
        if not c.get("name"):
            causes.append((f"spec.containers[{i}].name", "Required value"))
        elif c["name"] in names:
            causes.append((f"spec.containers[{i}].name",
                           f'Duplicate value: "{c["name"]}"'))
        names.add(c.get("name"))
        if not c.get("image"):
            causes.append((f"spec.containers[{i}].image", "Required value"))
    return causes


# the fields of a pod's spec an update may change
# (pkg/apis/core/validation ValidatePodUpdate)
def pod_validate_update(new, old):
    ns, os_ = new.get("spec", {}), old.get("spec", {})

    def strip(spec):
        s = json.loads(json.dumps(spec))
        for key in ("containers", "initContainers"):
            for c in s.get(key, []):
                c.pop("image", None)
        s.pop("activeDeadlineSeconds", None)
        s.pop("tolerations", None)
        return s
    if strip(ns) != strip(os_):
        return [("spec", "Forbidden: pod updates may not change fields "
                 "other than `spec.containers[*].image`,"
                 "`spec.initContainers[*].image`,"
                 "`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                 "additions to existing tolerations),"
                 "`spec.terminationGracePeriodSeconds` (allow it to be set "
                 "to 1 if it was previously negative)")]
    return []


def pod_prepare_update(new, old):
    # podStrategy.PrepareForUpdate: the status is the status subresource's
    new["status"] = old.get("status", {})


def pod_status_prepare_update(new, old):
    # podStatusStrategy.PrepareForUpdate
    new["spec"] = old.get("spec", {})
    new.setdefault("metadata", {})
    for k in ("deletionTimestamp", "deletionGracePeriodSeconds",
              "ownerReferences"):
        if k in old.get("metadata", {}):
            new["metadata"][k] = old["metadata"][k]
        else:
            new["metadata"].pop(k, None)


def keep_status_on_update(new, old):
    new["status"] = old.get("status", {})


def status_prepare_update(new, old):
    new["spec"] = old.get("spec", {})


def namespace_prepare_create(obj):
    name = obj.get("metadata", {}).get("name", "")
    obj.setdefault("metadata", {}).setdefault("labels", {})[
        "kubernetes.io/metadata.name"] = name
    obj["spec"] = {"finalizers": ["kubernetes"]}
    obj["status"] = {"phase": "Active"}


# --- events.k8s.io/v1 <-> v1 Event (pkg/apis/events/v1/conversion.go) --------

EVENTS_V1_RENAMES = [
    ("regarding", "involvedObject"), ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
]


def events_in(obj):
    out = {}
    ren = dict(EVENTS_V1_RENAMES)
    for k, v in obj.items():
        out[ren.get(k, k)] = v
    out["apiVersion"], out["kind"] = "v1", "Event"
    return out


def events_out(obj):
    out = {"kind": "Event", "apiVersion": "events.k8s.io/v1"}
    ren = {b: a for a, b in EVENTS_V1_RENAMES}
    for k, v in obj.items():
        if k not in ("kind", "apiVersion"):
            out[ren.get(k, k)] = v
    return out


# --- server-side tables (pkg/printers/internalversion/printers.go) ----------

def human_duration(sec):
    # k8s.io/apimachinery/pkg/util/duration HumanDuration
    if sec < -1:
        return "<invalid>"
    sec = max(0, int(sec))
    m, h, d = sec // 60, sec // 3600, sec // 86400
    if sec < 120:
        return f"{sec}s"
    if m < 10:
        s = sec % 60
        return f"{m}m" if s == 0 else f"{m}m{s}s"
    if h < 3:
        return f"{m}m"
    if h < 8:
        mm = m % 60
        return f"{h}h" if mm == 0 else f"{h}h{mm}m"
    if h < 48:
        return f"{h}h"
    if h < 192:
        hh = h % 24
        return f"{d}d" if hh == 0 else f"{d}d{hh}h"
    if d < 365 * 2:
        return f"{d}d"
    y = d // 365
    if y < 8:
        dd = d % 365
        return f"{y}y" if dd == 0 else f"{y}y{dd}d"
    return f"{y}y"


def age(obj):
    t = parse_time(obj.get("metadata", {}).get("creationTimestamp"))
    return "<unknown>" if t is None else human_duration(time.time() - t)


def _col(name, typ="string", priority=0, fmt="", desc=""):
    return {"name": name, "type": typ, "format": fmt, "description": desc,
            "priority": priority}


NAME_COL = _col("Name", fmt="name", desc="Name must be unique within a "
                "namespace. Cannot be updated.")


def _cond_true(obj, ctype):
    return any(c.get("type") == ctype and c.get("status") == "True"
               for c in obj.get("status", {}).get("conditions") or [])


def pod_row(pod):
    spec, st = pod.get("spec", {}), pod.get("status", {})
    restarts, last_restart = 0, None
    total = len(spec.get("containers", []))
    ready = 0
    reason = st.get("reason") or st.get("phase", "")
    initializing = False
    inits = spec.get("initContainers", [])
    for i, c in enumerate(st.get("initContainerStatuses") or []):
        restarts += c.get("restartCount", 0)
        state = c.get("state", {})
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        initializing = True
        if term:
            reason = "Init:" + (term.get("reason") or (
                f"Signal:{term['signal']}" if term.get("signal")
                else f"ExitCode:{term.get('exitCode')}"))
        elif wait and wait.get("reason") and \
                wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(inits)}"
        break
    if not initializing or _cond_true(pod, "Initialized"):
        restarts, running = 0, False
        for c in reversed(st.get("containerStatuses") or []):
            restarts += c.get("restartCount", 0)
            lt = (c.get("lastState") or {}).get("terminated") or {}
            t = parse_time(lt.get("finishedAt"))
            if t and (last_restart is None or t > last_restart):
                last_restart = t
            state = c.get("state", {})
            term, wait = state.get("terminated"), state.get("waiting")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (f"Signal:{term['signal']}" if term.get("signal")
                          else f"ExitCode:{term.get('exitCode')}")
            elif c.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _cond_true(pod, "Ready") else "NotReady"
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Unknown" if st.get("reason") == "NodeLost" \
            else "Terminating"
    rs = str(restarts)
    if last_restart:
        rs += f" ({human_duration(time.time() - last_restart)} ago)"
    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        ok = sum(1 for g in gates if _cond_true(pod, g.get("conditionType")))
        gates_cell = f"{ok}/{len(gates)}"
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, rs,
            age(pod), st.get("podIP") or "<none>",
            spec.get("nodeName") or "<none>",
            st.get("nominatedNodeName") or "<none>", gates_cell]


POD_COLS = [NAME_COL, _col("Ready"), _col("Status"), _col("Restarts"),
            _col("Age"), _col("IP", priority=1), _col("Node", priority=1),
            _col("Nominated Node", priority=1),
            _col("Readiness Gates", priority=1)]


def node_row(node):
    st = node.get("status", {})
    status = []
    for c in st.get("conditions") or []:
        if c.get("type") == "Ready":
            status.append("Ready" if c.get("status") == "True" else
                          "NotReady" if c.get("status") == "False"
                          else "Unknown")
    if not status:
        status.append("Unknown")
    if node.get("spec", {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    roles = sorted(k.split("/", 1)[1] for k in
                   (node["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    info = st.get("nodeInfo", {})

    def addr(t):
        for a in st.get("addresses") or []:
            if a.get("type") == t:
                return a.get("address")
        return "<none>"
    return [node["metadata"]["name"], ",".join(status),
            ",".join(roles) or "<none>", age(node),
            info.get("kubeletVersion", ""), addr("InternalIP"),
            addr("ExternalIP"), info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"),
            info.get("containerRuntimeVersion", "<unknown>")]


NODE_COLS = [NAME_COL, _col("Status"), _col("Roles"), _col("Age"),
             _col("Version"), _col("Internal-IP", priority=1),
             _col("External-IP", priority=1), _col("OS-Image", priority=1),
             _col("Kernel-Version", priority=1),
             _col("Container-Runtime", priority=1)]


def lease_row(lease):
    return [lease["metadata"]["name"],
            lease.get("spec", {}).get("holderIdentity") or "<none>",
            age(lease)]


LEASE_COLS = [NAME_COL, _col("Holder"), _col("Age")]


def namespace_row(ns):
    return [ns["metadata"]["name"], ns.get("status", {}).get("phase", ""),
            age(ns)]


NAMESPACE_COLS = [NAME_COL, _col("Status"), _col("Age")]


def event_row(ev):
    io = ev.get("involvedObject", {})
    obj = f"{(io.get('kind') or '').lower()}/{io.get('name', '')}"
    last = parse_time(ev.get("lastTimestamp") or ev.get("eventTime"))
    first = parse_time(ev.get("firstTimestamp") or ev.get("eventTime"))
    src = ev.get("source", {}).get("component") or \
        ev.get("reportingComponent", "")
    return [human_duration(time.time() - last) if last else "<unknown>",
            ev.get("type", ""), ev.get("reason", ""), obj,
            io.get("fieldPath", ""), src, ev.get("message", ""),
            human_duration(time.time() - first) if first else "<unknown>",
            str(ev.get("count", 1)), ev["metadata"]["name"]]


EVENT_COLS = [_col("Last Seen"), _col("Type"), _col("Reason"),
              _col("Object"), _col("Subobject", priority=1),
              _col("Source", priority=1), _col("Message"),
              _col("First Seen", priority=1), _col("Count", priority=1),
              _col("Name", priority=1)]


def default_row(obj):
    return [obj["metadata"]["name"],
            obj["metadata"].get("creationTimestamp", "")]


DEFAULT_COLS = [NAME_COL, _col("Created At", typ="date",
                               desc="CreationTimestamp is a timestamp "
                               "representing the server time when this "
                               "object was created.")]


# --- the resource table -----------------------------------------------------

# ObjectMeta's fields (k8s.io/apimachinery/pkg/apis/meta/v1/types.go)
META_FIELDS = frozenset((
    "name", "generateName", "namespace", "selfLink", "uid",
    "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
    "annotations", "ownerReferences", "finalizers", "managedFields"))
OBJECT_FIELDS = ("apiVersion", "kind", "metadata", "spec", "status")
EVENT_FIELDS = ("apiVersion", "kind", "metadata", "involvedObject",
                "reason", "message", "source", "firstTimestamp",
                "lastTimestamp", "count", "type", "eventTime", "series",
                "action", "related", "reportingComponent",
                "reportingInstance")

class Resource:
    def __init__(self, name, kind, group="", version="v1", namespaced=True,
                 short=(), singular=None, storage=None, fields=None,
                 subresources=(), prepare_create=None, validate=None,
                 prepare_update=None, validate_update=None,
                 unconditional_update=True, create_on_update=False,
                 return_deleted=False, graceful=False, table=None,
                 convert_in=None, convert_out=None, categories=(),
                 top_fields=OBJECT_FIELDS):
        self.name, self.kind = name, kind
        self.group, self.version = group, version
        self.namespaced = namespaced
        self.short, self.singular = list(short), singular or kind.lower()
        self.storage = storage or name
        self.fields = fields or (lambda o, ns=namespaced:
                                 _meta_fields(o, ns))
        self.subresources = dict(subresources)
        self.prepare_create = prepare_create
        self.validate = validate
        self.prepare_update = prepare_update
        self.validate_update = validate_update
        self.unconditional_update = unconditional_update
        self.create_on_update = create_on_update
        self.return_deleted = return_deleted
        self.graceful = graceful
        self.table = table or (DEFAULT_COLS, default_row)
        self.convert_in = convert_in
        self.convert_out = convert_out
        self.categories = list(categories)
        self.top_fields = frozenset(top_fields)

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    def discovery(self):
        d = {"name": self.name, "singularName": self.singular,
             "namespaced": self.namespaced, "kind": self.kind,
             "verbs": ["create", "delete", "get", "list", "patch",
                       "update", "watch"]}
        if self.short:
            d["shortNames"] = self.short
        if self.categories:
            d["categories"] = self.categories
        d["storageVersionHash"] = format(
            abs(hash((self.group, self.name))) % (1 << 48), "x")
        return d


RESOURCES = [
    Resource("pods", "Pod", short=["po"], fields=pod_fields,
             subresources={"status": pod_status_prepare_update,
                           "binding": None},
             prepare_create=pod_prepare_create, validate=pod_validate,
             prepare_update=pod_prepare_update,
             validate_update=pod_validate_update, return_deleted=True,
             graceful=True, table=(POD_COLS, pod_row), categories=["all"]),
    Resource("nodes", "Node", namespaced=False, short=["no"],
             fields=node_fields, subresources={"status":
                                               status_prepare_update},
             prepare_update=keep_status_on_update,
             table=(NODE_COLS, node_row)),
    Resource("namespaces", "Namespace", namespaced=False, short=["ns"],
             fields=namespace_fields,
             subresources={"status": status_prepare_update},
             prepare_create=namespace_prepare_create,
             prepare_update=keep_status_on_update, return_deleted=True,
             table=(NAMESPACE_COLS, namespace_row)),
    Resource("events", "Event", short=["ev"], fields=event_fields,
             create_on_update=True, table=(EVENT_COLS, event_row),
             top_fields=EVENT_FIELDS),
    Resource("leases", "Lease", group="coordination.k8s.io",
             unconditional_update=False, table=(LEASE_COLS, lease_row),
             top_fields=OBJECT_FIELDS[:4]),
    Resource("events", "Event", group="events.k8s.io", short=["ev"],
             storage="events", fields=event_fields, create_on_update=True,
             convert_in=events_in, convert_out=events_out,
             table=(EVENT_COLS, event_row), top_fields=EVENT_FIELDS),
]

GROUPS = {}
for _r in RESOURCES:
    GROUPS.setdefault((_r.group, _r.version), {})[_r.name] = _r


def generate_name(prefix):
    # k8s.io/apiserver/pkg/storage/names: 5 characters of this alphabet
    return prefix + "".join(random.choice("bcdfghjklmnpqrstvwxz2456789")
                            for _ in range(5))
