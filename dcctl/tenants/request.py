"""Tenant requests from ministries: scaffold one, check it against the approved tenants, approve it.

A request is a tenant file that is not in ``tenants/`` yet (``requests/<slug>.yaml``).
``dcctl tenant plan`` and ``apply`` read only ``tenants/``, so a request reaches the
cloud only once an engineer approves it: approval checks it again, moves it into
``tenants/`` and records who approved which content (its SHA-256) in the audit log.

Checking is the tenant loader and validator run on the approved set plus the
request; only the problems the request adds are reported. Two intake rules apply
to requests alone (the approved set is the engineers' business): every network gets
an address range no other tenant uses, and no project asks for more than the data
centre's quota ceiling (``requests/_intake.yaml``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import Field, ValidationError

from dcctl.core.errors import InputError, ServiceError
from dcctl.core.problems import Location, Problem, display_path, error, errors_in, sort_problems, warning
from dcctl.core.yamlsource import parse_with_positions
from dcctl.inventory.model import Strict
from dcctl.tenants.model import Quota
from dcctl.tenants.tenant_set import ProjectView, TenantSet

INTAKE_FILE = "_intake.yaml"
FIRST_BLOCK = 20  # 10.0.0.0/16 .. 10.19.0.0/16 are the data centre's own (management, storage)


class IntakePolicy(Strict):
    """The data centre's rules for new requests (``requests/_intake.yaml``)."""

    quota_ceiling: Quota = Field(default_factory=Quota,
                                 description="the most one project (a tenant or a directorate) may ask for")


# ---------------------------------------------------------------- checking

@dataclass
class RequestCheck:
    path: Path
    slug: str | None  # None when the file is too broken to name its tenant
    problems: list[Problem]
    content: bytes = b""

    @property
    def ok(self) -> bool:
        return not errors_in(self.problems)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def as_dict(self) -> dict:
        from dcctl.tenants.messages import explain

        errors = len(errors_in(self.problems))
        problems = []
        for p in self.problems:
            words = explain(p)
            problems.append(p.as_dict() | {"kind": words.kind, "en": words.en, "ar": words.ar})
        return {"file": display_path(self.path), "slug": self.slug, "ok": self.ok, "errors": errors,
                "warnings": len(self.problems) - errors, "sha256": self.sha256, "problems": problems}


def check_request(path: Path, tenants_dir: Path, inventory_dir: Path | None,
                  requests_dir: Path) -> RequestCheck:
    """Every problem the request brings to the approved set, plus the intake rules. No cloud involved."""
    from dcctl.tenants import load_tenants

    path, tenants_dir = Path(path), Path(tenants_dir)
    _refuse_odd_path(path, tenants_dir)
    content = path.read_bytes()
    intake, problems = load_intake(Path(requests_dir))
    _, approved = load_tenants(tenants_dir, inventory_dir)
    tenants, combined = load_tenants(tenants_dir, inventory_dir, extra_files=(path,))
    problems += list((Counter(combined) - Counter(approved)).elements())  # what the request adds
    slug = next((s for s, doc in tenants.docs.items() if doc.file == display_path(path)), None)
    if slug is not None:
        problems += intake_problems(tenants, slug, intake)
    if errors_in(approved):
        problems.append(warning(Location(display_path(tenants_dir)),
                                f"the approved tenants have {len(errors_in(approved))} error(s) of their own",
                                "not a problem of this request: the data-centre engineers run `dcctl tenant validate`",
                                code="bad-approved-set"))
    return RequestCheck(path, slug, sort_problems(problems), content)


def _refuse_odd_path(path: Path, tenants_dir: Path) -> None:
    if not tenants_dir.is_dir():
        raise InputError(f"no tenants directory {display_path(tenants_dir)}",
                         "run from the repository's top folder, or pass --tenants DIR")
    if not path.is_file():
        raise InputError(f"no request file {display_path(path)}", "give the path of a requests/<slug>.yaml file")
    if path.name.startswith("_") or path.suffix not in (".yaml", ".yml"):
        raise InputError(f"{display_path(path)} is not a request file",
                         "a request is named <slug>.yaml; files starting with '_' hold the data centre's rules")
    if tenants_dir.resolve() in path.resolve().parents:
        raise InputError(f"{display_path(path)} is already in {display_path(tenants_dir)}/: it is approved",
                         "check approved tenants with `dcctl tenant validate`")


def load_intake(requests_dir: Path) -> tuple[IntakePolicy, list[Problem]]:
    """The intake rules, or none (no ceiling) when the requests folder has no ``_intake.yaml``."""
    from dcctl.tenants.load import problems_from_errors

    path = requests_dir / INTAKE_FILE
    if not path.is_file():
        return IntakePolicy(), []
    doc, problems = parse_with_positions(path.read_text(encoding="utf-8"), display_path(path))
    if doc is None:
        return IntakePolicy(), problems
    try:
        return IntakePolicy.model_validate(doc.data or {}), problems
    except ValidationError as exc:
        return IntakePolicy(), problems + problems_from_errors(doc, IntakePolicy, exc.errors(include_url=False))


def intake_problems(tenants: TenantSet, slug: str, intake: IntakePolicy) -> list[Problem]:
    """The rules for a request that the approved tenants are not held to (pure)."""
    return _address_plan(tenants, slug) + _quota_ceiling(tenants, slug, intake.quota_ceiling)


def _address_plan(tenants: TenantSet, slug: str) -> list[Problem]:
    """Each network of the request uses addresses no other project (approved or in the request) uses."""
    problems = []
    projects = tenants.projects()
    mine = [p for p in projects if p.tenant.slug == slug]
    seen: list[tuple[ProjectView, object]] = [(p, n) for p in projects if p.tenant.slug != slug for n in p.networks]
    for project in mine:
        for i, net in enumerate(project.networks):
            clash = next(((p, n) for p, n in seen
                          if p.slug != project.slug and n.cidr.version == net.cidr.version and n.cidr.overlaps(net.cidr)),
                         None)
            if clash is not None:
                owner, other = clash
                problems.append(error(tenants.project_at(project, "networks", i, "cidr"),
                                      f"network '{net.name}' ({net.cidr}) overlaps network '{other.name}' of "
                                      f"{owner.slug} ({other.cidr})",
                                      f"every tenant has its own addresses: choose a free range, e.g. "
                                      f"{suggest_cidr(tenants, net.cidr.prefixlen)}", code="cidr-taken"))
        seen += [(project, n) for n in project.networks]
    return problems


def _quota_ceiling(tenants: TenantSet, slug: str, ceiling: Quota) -> list[Problem]:
    limits = ceiling.flat()
    problems = []
    for project in (p for p in tenants.projects() if p.tenant.slug == slug):
        for name, value in project.quota.flat().items():
            limit = limits.get(name)
            if limit is None or value <= limit:
                continue
            section, field_name = name.split(".")
            problems.append(error(tenants.project_at(project, "quota", section, field_name),
                                  f"{project.slug} asks for {value} {field_name.replace('_', ' ')} (quota.{name}), "
                                  f"above the data centre's ceiling of {limit} for one project",
                                  f"lower it to {limit} or less, or ask the data-centre engineers to review a larger "
                                  f"quota (quota_ceiling in {INTAKE_FILE})", code="quota-above-ceiling"))
    return problems


def suggest_cidr(tenants: TenantSet, prefixlen: int = 24, taken: tuple = ()) -> str:
    """The first 10.N.0.0/16 block no network touches (N >= 20), as a /``prefixlen``: room to grow."""
    used = [n.cidr for p in tenants.projects() for n in p.networks if n.cidr.version == 4] + list(taken)
    for n in range(FIRST_BLOCK, 256):
        block = ipaddress.ip_network(f"10.{n}.0.0/16")
        if not any(block.overlaps(u) for u in used):
            return f"10.{n}.0.0/{max(prefixlen, 16)}"
    for net in ipaddress.ip_network("172.16.0.0/12").subnets(new_prefix=max(prefixlen, 16)):
        if not any(net.overlaps(u) for u in used):
            return str(net)
    return "ask the data centre"


# ---------------------------------------------------------------- scaffolding

QUOTA_SIZES: dict[str, dict[str, dict[str, int]]] = {
    "small": {"compute": {"cores": 16, "ram_gb": 64, "instances": 8},
              "volume": {"volumes": 10, "gigabytes": 1000, "snapshots": 10},
              "network": {"networks": 2, "subnets": 2, "ports": 50, "routers": 1, "floating_ips": 0,
                          "security_groups": 4}},
    "medium": {"compute": {"cores": 48, "ram_gb": 192, "instances": 24},
               "volume": {"volumes": 40, "gigabytes": 5000, "snapshots": 40},
               "network": {"networks": 3, "subnets": 3, "ports": 150, "routers": 1, "floating_ips": 2,
                           "security_groups": 8}},
    "large": {"compute": {"cores": 96, "ram_gb": 384, "instances": 48},
              "volume": {"volumes": 80, "gigabytes": 12000, "snapshots": 80},
              "network": {"networks": 4, "subnets": 4, "ports": 300, "routers": 1, "floating_ips": 2,
                          "security_groups": 10}},
}
KINDS = ("ministry", "independent-entity", "governorate")
CLASSIFICATIONS = ("public", "internal", "confidential", "secret")
HUB_LINK = "secretariat/gov-docs"  # phase 1 links the secretariat with every ministry


@dataclass
class RequestDraft:
    """What `tenant request new` asks for; the file it becomes is what gets checked."""

    slug: str
    name_en: str
    name_ar: str
    contact_email: str
    kind: str = "ministry"
    phase: int = 1
    sites: list[str] = field(default_factory=list)
    classification: str = "internal"
    description: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    size: str = "small"
    cidr: str = ""
    links: list[str] = field(default_factory=list)


def suggest_slug(name_en: str) -> str:
    """'Ministry of Water Resources' -> 'water-resources'."""
    words = re.sub(r"^(the\s+)?(ministry|directorate|governorate)\s+of\s+(the\s+)?", "", name_en.strip(), flags=re.I)
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
    slug = re.sub(r"^[^a-z]+", "", slug)[:40].strip("-")
    return slug


def default_phase(kind: str) -> int:
    return 1 if kind == "ministry" else 2


def default_sites(sites: dict | None, classification: str) -> list[str]:
    """A sovereign site (cleared for every classification); any site for public and internal data."""
    if not sites:
        return []
    sovereign = sorted(n for n, s in sites.items() if s.sovereign)
    if sovereign:
        return sovereign[:1]
    return sorted(sites)[:1] if classification in ("public", "internal") else []


def default_links(tenants: TenantSet) -> list[str]:
    owner, net = HUB_LINK.split("/")
    project = tenants.project(owner)
    if project and any(n.name == net and n.shared for n in project.networks):
        return [HUB_LINK]
    return []


def render_request(draft: RequestDraft, today: date | None = None) -> str:
    """The request file, commented in English and Arabic for the staff who complete it (pure)."""
    q = QUOTA_SIZES[draft.size]
    today = today or date.today()
    contact_name = draft.contact_name or f"{draft.name_en} cloud team"
    lines = [
        f"# Tenant request: {draft.name_en}",
        f"# طلب مستأجر سحابي: {draft.name_ar}",
        f"# Written by `dcctl tenant request new` on {today.isoformat()}. Complete it, then check it:",
        "# أُنشئ بالأمر `dcctl tenant request new`. أكمِلوه ثم افحصوه بالأمر:",
        f"#   dcctl tenant request check requests/{draft.slug}.yaml",
        "# Lines starting with # are notes and may stay. tenants/README.md explains every field.",
        "# الأسطر التي تبدأ بالعلامة # ملاحظات ويمكن إبقاؤها. يشرح الملف tenants/README.md جميع الحقول.",
        "",
        "# Short name: small English letters, digits and '-'. It names your cloud domain and project.",
        "# الاسم المختصر: حروف إنجليزية صغيرة وأرقام والشرطة '-'. يصبح اسم نطاقكم ومشروعكم في السحابة.",
        f"slug: {draft.slug}",
        "name:",
        f"  en: {_text(draft.name_en)}    # English name / الاسم بالإنجليزية",
        f"  ar: {_text(draft.name_ar)}    # Arabic name, in Arabic letters / الاسم بالعربية وبالحروف العربية",
        "# ministry | independent-entity (not attached to a ministry) | governorate",
        "# وزارة (ministry) | جهة غير مرتبطة بوزارة (independent-entity) | محافظة (governorate)",
        f"kind: {draft.kind}",
        "# Onboarding phase: 1 the ministries, 2 independent entities and governorates, 3 directorates.",
        "# مرحلة الانضمام: 1 الوزارات، 2 الجهات غير المرتبطة بوزارة والمحافظات، 3 المديريات.",
        f"phase: {draft.phase}",
        "# Data-centre sites where it runs (names given by the data centre).",
        "# مواقع مركز البيانات التي يعمل فيها (الأسماء يزودكم بها مركز البيانات).",
        f"sites: {_items(draft.sites)}",
        "# How sensitive your data is: public | internal | confidential | secret.",
        "# Confidential and secret data run only in sovereign sites.",
        "# درجة حساسية البيانات: عام (public) | داخلي (internal) | سري (confidential) | سري للغاية (secret).",
        "# البيانات السرية والسرية للغاية تعمل في المواقع السيادية فقط.",
        f"classification: {draft.classification}",
        f"description: {_text(draft.description)}    # optional / وصف مختصر (اختياري)",
        "# Who the data centre contacts about this tenant (at least one).",
        "# جهات الاتصال التي يتواصل معها مركز البيانات بشأن هذا الطلب (واحدة على الأقل).",
        "contacts:",
        f"  - name: {_text(contact_name)}",
        "    role: technical    # technical | security | administrative / فني | أمني | إداري",
        f"    email: {_text(draft.contact_email)}",
        f"    phone: {_text(draft.contact_phone)}    # optional, in quotes / اختياري، بين علامتي تنصيص",
        "",
        f"# Resource limits (size '{draft.size}'). Ask for what you need: the data centre sets a ceiling",
        "# per project, and more needs its review. A line left out keeps the cloud's default.",
        "# الحد الأقصى للموارد. اطلبوا ما تحتاجونه فعلاً: لمركز البيانات حد أعلى لكل مشروع وما يزيد عليه",
        "# يحتاج إلى مراجعته. الحقل المحذوف يأخذ القيمة الافتراضية للسحابة.",
        "quota:",
        f"  compute: {_flow(q['compute'])}    # processor cores, memory in GB, servers / أنوية، ذاكرة بالغيغابايت، خوادم",
        f"  volume: {_flow(q['volume'])}    # disks, disk space in GB, snapshots / أقراص، سعة بالغيغابايت، لقطات",
        f"  network: {_flow(q['network'])}",
        "",
        "# Your networks. Each needs an address range of its own that no other tenant uses;",
        "# the range below is free in the data centre's address plan today.",
        "# شبكاتكم. تحتاج كل شبكة إلى نطاق عناوين خاص بها لا تستخدمه أي جهة أخرى؛",
        "# النطاق أدناه غير مستخدم حالياً في خطة عناوين مركز البيانات.",
        "networks:",
        "  - name: apps",
        f"    cidr: {draft.cidr}",
        "    router: true              # connect it to your router / ربطها بالموجّه",
        "    external_gateway: false   # true: reach outside the government network / الوصول إلى خارج الشبكة الحكومية",
        "    shared: false             # true: other tenants may link to it / السماح لجهات أخرى بالانضمام إليها",
        "",
        "# Firewall rules for your servers. / قواعد جدار الحماية لخوادمكم.",
        "security_groups:",
        "  - name: web",
        "    description: Web front ends",
        "    rules:",
        "      - {protocol: tcp, ports: 443, remote: 10.0.0.0/8}   # HTTPS from the government network / من الشبكة الحكومية",
        "",
        "# Shared government networks of other tenants to join, written OWNER/NETWORK.",
        "# الشبكات الحكومية المشتركة التي تنضمون إليها، بالشكل: الجهة/الشبكة.",
        f"links: {_items(draft.links)}",
        "",
        "# Who may use the tenant: admin (manage), member (use), reader (read only).",
        "# من يستخدم المستأجر: admin (إدارة)، member (استخدام)، reader (قراءة فقط).",
        "groups:",
        "  - {name: admins, role: admin}",
        "  - {name: staff, role: member, scope: all}   # all: with the directorates / مع المديريات",
        "  - {name: inspectors, role: reader}",
        "",
        "# Directorates (child projects, e.g. in the governorates): copy the example, remove the '# '.",
        "# المديريات (مشاريع فرعية، مثلاً في المحافظات): انسخوا المثال واحذفوا '# ' من بداية الأسطر.",
        "# directorates:",
        f"#   - slug: {draft.slug}-basra",
        "#     name: {en: \"... Basra Directorate\", ar: \"مديرية ... في البصرة\"}",
        "#     governorate: Basra",
        "#     phase: 3",
        "#     quota:",
        f"#       compute: {_flow(QUOTA_SIZES['small']['compute'])}",
    ]
    return "\n".join(lines) + "\n"


def _flow(values: dict[str, int]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}"


def _text(value: str) -> str:
    """Quoted for YAML whatever it holds (':', '#', quotes, Arabic): a JSON string is a YAML scalar."""
    return json.dumps(value, ensure_ascii=False)


def _items(values: list[str]) -> str:
    return "[" + ", ".join(map(_text, values)) + "]"


def split_list(value: str | tuple | list | None) -> list[str]:
    """'a, b' or ('a', 'b') -> ['a', 'b']; '-' alone means none (an answer to a prompt)."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return [x.strip() for x in items if x.strip() not in ("", "-")]


def write_request(text: str, requests_dir: Path, slug: str) -> Path:
    """Write ``requests_dir/<slug>.yaml``; an existing file is never overwritten."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", slug):
        raise InputError(f"'{slug}' cannot be a short name (slug)",
                         "use lower-case letters, digits and '-', starting with a letter, e.g. water-resources")
    requests_dir.mkdir(parents=True, exist_ok=True)
    target = requests_dir / f"{slug}.yaml"
    try:
        with target.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise InputError(f"{display_path(target)} already exists",
                         f"edit it and run `dcctl tenant request check {display_path(target)}`, "
                         "or choose another --slug") from None
    return target


# ---------------------------------------------------------------- approval

@dataclass
class Approval:
    slug: str
    source: str
    target: str
    sha256: str
    by: str
    os_user: str
    record_id: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def approve_request(path: Path, tenants_dir: Path, inventory_dir: Path | None, requests_dir: Path,
                    by: str | None = None) -> tuple[RequestCheck, Approval | None]:
    """Check again; when clean, move the request into ``tenants/`` and record the approval.

    No approval without a record: if the audit log cannot be written, the file moved
    into ``tenants/`` is taken back and the request stays where it was.
    """
    from dcctl.core.records import record

    check = check_request(path, tenants_dir, inventory_dir, requests_dir)
    if not check.ok or check.slug is None:
        return check, None
    path, tenants_dir = Path(path), Path(tenants_dir)
    target = tenants_dir / f"{check.slug}.yaml"
    if target.exists():
        raise InputError(f"{display_path(target)} already exists: '{check.slug}' is approved already",
                         "a request adds a new tenant; changes to an approved one go through tenants/ directly")
    if path.read_bytes() != check.content:
        raise InputError(f"{display_path(path)} changed while it was being checked", "approve it again")
    os_user = _os_user()
    by = by or os_user
    try:
        with target.open("xb") as out:
            out.write(check.content)
    except FileExistsError:
        raise InputError(f"{display_path(target)} already exists: '{check.slug}' is approved already") from None
    try:
        entry = record("tenant", check.slug, "approve request", "approved", identity=by,
                       details={"file": display_path(path), "moved_to": display_path(target), "sha256": check.sha256,
                                "approved_by": by, "warnings": len(check.problems)})
    except Exception as exc:  # noqa: BLE001 - any storage failure: undo, then say why
        target.unlink(missing_ok=True)
        raise ServiceError(f"the approval could not be recorded in the audit log: {exc}",
                           "nothing was approved; fix the audit log (--state-url) and approve again") from exc
    path.unlink()
    return check, Approval(check.slug, display_path(path), display_path(target), check.sha256, by, os_user,
                           entry.get("id", 0))


def _os_user() -> str:
    from dcctl.audit.lock import holder_info

    return holder_info("")["user"]
