"""Plain-language explanations of request problems, in English and Arabic, for ministry staff.

The loader and validator word problems for engineers (``'slug': not a valid name``).
A ministry's staff fill the request, so ``dcctl tenant request check`` adds to each
problem a sentence in each language that says what is wrong and what to write.
Nothing here decides whether a request is valid: it only reads the problem's
``code`` and the values named in its message. A problem no rule knows still gets
a (generic) bilingual line, so a new validator rule never leaves a blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dcctl.core.problems import Problem, Severity


@dataclass(frozen=True)
class Explanation:
    kind: str  # a stable name for the kind of mistake (e.g. "bad-slug"), for --json readers
    en: str
    ar: str


# Field names as ministry staff know them: (English, Arabic).
FIELDS: dict[str, tuple[str, str]] = {
    "slug": ("the short name", "الاسم المختصر"),
    "name": ("the name", "الاسم"),
    "en": ("the English name", "الاسم بالإنجليزية"),
    "ar": ("the Arabic name", "الاسم بالعربية"),
    "kind": ("the kind of entity", "نوع الجهة"),
    "phase": ("the onboarding phase", "مرحلة الانضمام"),
    "sites": ("the sites", "المواقع"),
    "site": ("the site", "الموقع"),
    "classification": ("the data classification", "تصنيف البيانات"),
    "description": ("the description", "الوصف"),
    "contacts": ("the contacts", "جهات الاتصال"),
    "email": ("the e-mail address", "البريد الإلكتروني"),
    "phone": ("the phone number", "رقم الهاتف"),
    "role": ("the role", "الدور"),
    "quota": ("the quota", "الحصة"),
    "networks": ("the networks", "الشبكات"),
    "cidr": ("the address range", "نطاق العناوين"),
    "router": ("the router setting", "إعداد الموجّه"),
    "external_gateway": ("the external gateway setting", "إعداد البوابة الخارجية"),
    "shared": ("the shared setting", "إعداد المشاركة"),
    "security_groups": ("the security groups", "مجموعات الأمان"),
    "rules": ("the rules", "القواعد"),
    "protocol": ("the protocol", "البروتوكول"),
    "ports": ("the ports", "المنافذ"),
    "direction": ("the direction", "الاتجاه"),
    "links": ("the links", "الروابط"),
    "groups": ("the groups", "المجموعات"),
    "scope": ("the scope", "النطاق"),
    "directorates": ("the directorates", "المديريات"),
    "governorate": ("the governorate", "المحافظة"),
    "cores": ("processor cores", "أنوية المعالجة"),
    "ram_gb": ("memory (GB)", "الذاكرة (غيغابايت)"),
    "instances": ("servers", "الخوادم"),
    "volumes": ("disks", "الأقراص"),
    "gigabytes": ("disk space (GB)", "سعة الأقراص (غيغابايت)"),
    "snapshots": ("snapshots", "اللقطات"),
    "subnets": ("subnets", "الشبكات الفرعية"),
    "routers": ("routers", "الموجّهات"),
    "floating_ips": ("floating addresses", "العناوين العائمة"),
}

# Words that appear as values inside messages.
WORDS_AR: dict[str, str] = {
    "public": "عام", "internal": "داخلي", "confidential": "سري", "secret": "سري للغاية",
    "ministry": "وزارة", "independent entity": "جهة غير مرتبطة بوزارة", "governorate": "محافظة",
    "network": "شبكة", "security group": "مجموعة أمان", "least": "لا تقل عن", "most": "لا تزيد على",
    "cores": "أنوية المعالجة", "ram gb": "الذاكرة (غيغابايت)", "instances": "الخوادم", "volumes": "الأقراص",
    "gigabytes": "سعة الأقراص (غيغابايت)", "snapshots": "اللقطات", "networks": "الشبكات",
    "subnets": "الشبكات الفرعية", "ports": "المنافذ", "routers": "الموجّهات", "floating ips": "العناوين العائمة",
    "security groups": "مجموعات الأمان",
}


@dataclass(frozen=True)
class _Rule:
    kind: str
    codes: tuple[str, ...]
    pattern: str  # matched against the problem's message; its named groups fill the texts
    en: str
    ar: str


_GOT = r"(?: \(got '?(?P<value>.*?)'?\))?$"
_KEY = r"^(?:'(?P<key>[^']+)'|item \d+|value): "

RULES: tuple[_Rule, ...] = (
    # --- the file itself
    _Rule("yaml-syntax", ("yaml-syntax", "yaml-key", "yaml-encoding"), "",
          "The file cannot be read here: a line is not written in the expected form (often a wrong indentation, "
          "a tab, a missing ':' or an unclosed quote). Line it up with the lines above, using spaces only.",
          "لا يمكن قراءة الملف في هذا الموضع: السطر غير مكتوب بالشكل المطلوب (غالباً بسبب مسافة بادئة خاطئة "
          "أو استخدام مفتاح Tab أو نقص النقطتين ':' أو علامة تنصيص غير مغلقة). اجعله بمحاذاة الأسطر التي فوقه "
          "باستخدام المسافات فقط."),
    _Rule("empty-file", ("empty-file",), "",
          "The file is empty. Start from a new request: dcctl tenant request new.",
          "الملف فارغ. ابدأ بطلب جديد باستخدام الأمر: dcctl tenant request new."),
    _Rule("bad-file", ("bad-file",), "",
          "The file must be a list of fields written 'field: value', starting with 'slug:'.",
          "يجب أن يتكون الملف من حقول مكتوبة بالشكل 'الحقل: القيمة'، ويبدأ بالحقل 'slug:'."),
    _Rule("duplicate-field", ("yaml-duplicate-key",), r"duplicate key '(?P<key>[^']+)'",
          "{Field_en} is written twice. Keep only one of them.",
          "الحقل {field_ar} مكتوب مرتين. احتفظ بواحد منهما فقط."),
    _Rule("missing-field", ("missing-key",), r"missing required key '(?P<key>[^']+)'",
          "{Field_en} is missing. It is required: add it here (tenants/README.md shows an example).",
          "الحقل {field_ar} غير موجود وهو مطلوب: أضفه هنا (يوجد مثال في tenants/README.md)."),
    _Rule("unknown-field", ("unknown-key",), r"unknown key '(?P<key>[^']+)'",
          "'{key}' is not a field of a request. Check its spelling, or remove it.",
          "'{key}' ليس من حقول الطلب. تأكد من كتابته بشكل صحيح أو احذفه."),
    _Rule("bad-type", ("bad-type",), "",
          "Fields are expected here, written 'field: value' one per line, indented under this one.",
          "يُتوقع هنا حقول مكتوبة بالشكل 'الحقل: القيمة'، كل حقل في سطر، بإزاحة تحت هذا الحقل."),
    # --- single values
    _Rule("bad-slug", ("string_pattern_mismatch",), r"^'slug': not a valid name" + _GOT,
          "The short name (slug) '{value}' cannot be used. Use small English letters, digits and '-', "
          "starting with a letter, 2 to 40 characters, e.g. water-resources.",
          "لا يمكن استخدام الاسم المختصر (slug) '{value}'. استخدم حروفاً إنجليزية صغيرة وأرقاماً والشرطة '-'، "
          "على أن يبدأ بحرف ويتكون من 2 إلى 40 رمزاً، مثل water-resources."),
    _Rule("bad-name", ("string_pattern_mismatch",), _KEY + r"not a valid name" + _GOT,
          "'{value}' cannot be used as a name. Use small English letters, digits and '-', starting with a letter, "
          "e.g. apps.",
          "لا يمكن استخدام '{value}' اسماً. استخدم حروفاً إنجليزية صغيرة وأرقاماً والشرطة '-'، على أن يبدأ بحرف، "
          "مثل apps."),
    _Rule("arabic-name", ("value_error",), r"Arabic name.*?" + _GOT,
          "The Arabic name must be written in Arabic letters (it reads '{value}').",
          "يجب كتابة الاسم العربي بالحروف العربية، مثل: وزارة الصحة."),
    _Rule("bad-email", ("value_error",), r"not an e-mail address.*?" + _GOT,
          "'{value}' is not an e-mail address. Write it like cloud@moh.gov.iq.",
          "'{value}' ليس عنوان بريد إلكتروني صحيحاً. اكتبه بالشكل cloud@moh.gov.iq."),
    _Rule("bad-cidr", ("value_error",), r"^'(?:cidr|remote)': .*?(?:host bits|does not appear|network).*?" + _GOT,
          "The address range '{value}' is not written correctly. Write the first address of the range and its "
          "size, e.g. 10.20.0.0/24.",
          "نطاق العناوين '{value}' غير مكتوب بشكل صحيح. اكتب أول عنوان في النطاق ثم حجمه، مثل 10.20.0.0/24."),
    _Rule("bad-link", ("value_error",), r"a link is written.*?" + _GOT,
          "A link is written OWNER/NETWORK, e.g. secretariat/gov-docs (it reads '{value}').",
          "يُكتب الربط بالشكل: الجهة المالكة/الشبكة، مثل secretariat/gov-docs."),
    _Rule("bad-ports", ("value_error",), r"^'ports': ",
          "The ports are a number from 1 to 65535 or a range such as 8000-8080, and only for tcp or udp.",
          "المنافذ رقم من 1 إلى 65535 أو مدى مثل 8000-8080، وتُستخدم مع tcp أو udp فقط."),
    _Rule("bad-rule", ("value_error",), r"either remote",
          "A rule allows traffic from an address range (remote) or from a security group (remote_group), "
          "not both: keep one.",
          "القاعدة تسمح بالاتصال من نطاق عناوين (remote) أو من مجموعة أمان (remote_group) وليس من كليهما: "
          "احتفظ بأحدهما."),
    _Rule("not-allowed-value", ("enum", "literal_error"), _KEY + r"must be one of (?P<choices>.+?)" + _GOT,
          "'{value}' is not allowed for {field_en}. Write one of: {choices}.",
          "القيمة '{value}' غير مقبولة في الحقل {field_ar}. اكتب إحدى القيم: {choices_ar}."),
    _Rule("out-of-range", ("greater_than_equal", "less_than_equal"),
          _KEY + r"must be at (?P<dir>least|most) (?P<bound>\d+)" + _GOT,
          "{Field_en} must be at {dir} {bound} (it reads {value}).",
          "يجب أن تكون قيمة الحقل {field_ar} {dir_ar} {bound} (المكتوب: {value})."),
    _Rule("not-a-number", ("int_parsing", "int_type", "int_from_float"), _KEY + r"must be a whole number" + _GOT,
          "{Field_en} must be a whole number, without units or quotes (it reads '{value}').",
          "يجب أن تكون قيمة الحقل {field_ar} عدداً صحيحاً، بدون وحدات أو علامات تنصيص (المكتوب: '{value}')."),
    _Rule("not-yes-no", ("bool_parsing", "bool_type"), _KEY,
          "{Field_en} is written true or false.",
          "يُكتب الحقل {field_ar} بالقيمة true (نعم) أو false (لا)."),
    _Rule("empty-list", ("too_short",), _KEY + r"the list is empty",
          "Add at least one entry to {field_en}.",
          "يحتاج الحقل {field_ar} إلى عنصر واحد على الأقل."),
    _Rule("bad-text", ("string_type", "string_too_short", "list_type"), _KEY,
          "{Field_en} is not written as expected: see the example in tenants/README.md.",
          "الحقل {field_ar} غير مكتوب بالشكل المطلوب: انظر المثال في tenants/README.md."),
    # --- across the request and the approved tenants
    _Rule("slug-taken", ("duplicate-slug",), r"(?:tenant|slug) '(?P<slug>[^']+)' is (?:requested twice|already used)",
          "The short name '{slug}' is already used by an approved tenant or one of its directorates. "
          "Choose another one.",
          "الاسم المختصر '{slug}' مستخدم من قبل جهة معتمدة أو إحدى مديرياتها. اختر اسماً آخر."),
    _Rule("name-twice", ("duplicate-name",), r"(?:network|security group|group) '(?P<name>[^']+)' is declared twice",
          "The name '{name}' is used twice. Give each one its own name.",
          "الاسم '{name}' مستخدم مرتين. أعطِ كل عنصر اسماً خاصاً به."),
    _Rule("unknown-site", ("unknown-site",), r"unknown site '(?P<site>[^']+)'",
          "The data centre has no site called '{site}'. Write a site name the data centre gave you.",
          "لا يوجد في مركز البيانات موقع باسم '{site}'. اكتب اسم موقع من المواقع التي زوّدكم بها مركز البيانات."),
    _Rule("site-not-cleared", ("classification-site",), r"site '(?P<site>[^']+)' is not cleared for (?P<level>\w+)",
          "The site '{site}' may not hold {level} data: confidential and secret tenants run only in the "
          "sovereign sites.",
          "الموقع '{site}' غير مخوّل بحفظ بيانات بتصنيف «{level_ar}»: الجهات ذات البيانات السرية والسرية للغاية "
          "تعمل في المواقع السيادية فقط."),
    _Rule("unknown-governorate", ("unknown-governorate",), r"unknown governorate '(?P<value>[^']+)'",
          "'{value}' is not a governorate name as the data centre writes it (e.g. Basra, Nineveh, Dhi Qar).",
          "'{value}' ليس اسم محافظة بالصيغة المعتمدة في مركز البيانات (مثل Basra أو Nineveh أو Dhi Qar)."),
    _Rule("cidr-overlap", ("cidr-overlap",),
          r"network '(?P<net>[^']+)' \((?P<cidr>[^)]+)\) overlaps '(?P<other>[^']+)' \((?P<other_cidr>[^)]+)\)",
          "The network '{net}' ({cidr}) uses addresses of the network '{other}' ({other_cidr}). "
          "Give each network its own address range.",
          "الشبكة '{net}' ({cidr}) تستخدم عناوين من الشبكة '{other}' ({other_cidr}). خصّص لكل شبكة نطاق "
          "عناوين مستقلاً."),
    _Rule("cidr-taken", ("cidr-taken",),
          r"network '(?P<net>[^']+)' \((?P<cidr>[^)]+)\) overlaps network '(?P<other>[^']+)' of (?P<owner>\S+) "
          r"\((?P<other_cidr>[^)]+)\)",
          "The address range {cidr} of the network '{net}' is already used by '{other}' of {owner} ({other_cidr}). "
          "Every tenant gets its own addresses: choose a free range.",
          "نطاق العناوين {cidr} للشبكة '{net}' مستخدم من قبل الشبكة '{other}' التابعة لـ {owner} ({other_cidr}). "
          "لكل جهة عناوينها الخاصة: اختر نطاقاً غير مستخدم."),
    _Rule("quota-above-policy", ("quota-above-ceiling",),
          r"^(?P<project>\S+) asks for (?P<value>\d+) (?P<what>.+?) \(quota\.\w+\.(?P<key>\w+)\), above the data centre's ceiling of "
          r"(?P<limit>\d+)",
          "{project} asks for {value} {what}; one project may have at most {limit} under the data centre's policy. "
          "Lower it, or ask the data centre to review a larger quota.",
          "يطلب {project} {value} من {key_ar}، والحد الأقصى لمشروع واحد حسب سياسة مركز البيانات هو {limit}. "
          "خفّض القيمة أو اطلب من مركز البيانات مراجعة حصة أكبر."),
    _Rule("quota-sum", ("quota-sum",),
          r"directorates ask for (?P<total>\d+) (?P<what>.+) in total, more than the tenant's (?P<limit>\d+)",
          "The directorates together ask for {total} {what}, more than the {limit} of the whole tenant. "
          "Raise the tenant's quota or lower the directorates'.",
          "مجموع ما تطلبه المديريات من {what_ar} هو {total}، وهو أكثر من حصة الجهة كلها ({limit}). "
          "ارفع حصة الجهة أو خفّض حصص المديريات."),
    _Rule("quota-too-small", ("quota-too-small",),
          r"(?P<project>\S+) declares (?P<count>\d+) (?P<what>.+?)(?: \(counting[^)]*\))? but its quota allows "
          r"(?P<limit>\d+)",
          "{project} asks for {count} {what} but its own quota allows {limit}. Raise the quota to at least {count}.",
          "يطلب {project} عدد {count} من {what_ar} لكن حصته تسمح بـ {limit} فقط. ارفع الحصة إلى {count} "
          "على الأقل."),
    _Rule("unknown-link", ("unknown-link",), r"link '(?P<link>[^']+)': no tenant or directorate '(?P<owner>[^']+)'",
          "The link '{link}' names '{owner}', which is not an approved tenant or directorate. Check the spelling.",
          "الربط '{link}' يشير إلى '{owner}' وهي ليست جهة أو مديرية معتمدة. تأكد من كتابة الاسم."),
    _Rule("unknown-link", ("unknown-link",), r"link '(?P<link>[^']+)': (?P<owner>\S+) has no network '(?P<net>[^']+)'",
          "The link '{link}': {owner} has no network called '{net}'. Check the name with {owner}.",
          "الربط '{link}': لا توجد لدى {owner} شبكة باسم '{net}'. تحقق من الاسم مع {owner}."),
    _Rule("link-not-shared", ("link-not-shared",), r"link '(?P<link>[^']+)'",
          "The network of the link '{link}' is not shared by its owner, so it cannot be joined.",
          "شبكة الربط '{link}' غير مُتاحة للمشاركة من قبل مالكها، لذلك لا يمكن الانضمام إليها."),
    _Rule("self-link", ("self-link",), r"link '(?P<link>[^']+)'",
          "The link '{link}' points at your own network, which you reach already: remove it.",
          "الربط '{link}' يشير إلى شبكتكم نفسها وهي متاحة لكم أصلاً: احذفه."),
    _Rule("link-twice", ("duplicate-link",), r"link '(?P<link>[^']+)'",
          "The link '{link}' is written twice: remove one.",
          "الربط '{link}' مكتوب مرتين: احذف أحدهما."),
    _Rule("link-not-cleared", ("classification-link",), r"link '(?P<link>[^']+)'",
          "Secret tenants may join only the networks the data centre has cleared for them; '{link}' is not one.",
          "الجهات ذات التصنيف «سري للغاية» يمكنها الانضمام فقط إلى الشبكات التي أجازها مركز البيانات، "
          "و'{link}' ليست منها."),
    _Rule("link-phase", ("phase-order",),
          r"link '(?P<link>[^']+)': (?P<owner>\S+) is onboarded in phase (?P<owner_phase>\d), after",
          "The link '{link}' needs {owner}, which joins the cloud in phase {owner_phase}, after you. "
          "Remove the link for now, or ask the data centre.",
          "الربط '{link}' يحتاج {owner} التي تنضم إلى السحابة في المرحلة {owner_phase} أي بعدكم. "
          "احذف الربط حالياً أو راجع مركز البيانات."),
    _Rule("directorate-phase", ("phase-order",),
          r"directorate '(?P<slug>[^']+)' is in phase (?P<phase>\d), before its .+ \(phase (?P<parent>\d)\)",
          "The directorate '{slug}' cannot join (phase {phase}) before its ministry (phase {parent}).",
          "لا يمكن أن تنضم المديرية '{slug}' (المرحلة {phase}) قبل وزارتها (المرحلة {parent})."),
    _Rule("no-gateway-for-secret", ("classification-gateway",), r"network '(?P<net>[^']+)'",
          "Secret tenants cannot reach outside the government network: remove 'external_gateway' from '{net}'.",
          "الجهات ذات التصنيف «سري للغاية» لا يمكنها الاتصال بخارج الشبكة الحكومية: احذف 'external_gateway' "
          "من الشبكة '{net}'."),
    _Rule("gateway-without-router", ("gateway-without-router",), r"network '(?P<net>[^']+)'",
          "The network '{net}' asks to reach outside without a router: add 'router: true' to it.",
          "الشبكة '{net}' تطلب الاتصال بالخارج بدون موجّه: أضف إليها 'router: true'."),
    _Rule("unknown-scope", ("unknown-scope",), r"unknown scope '(?P<value>[^']+)'",
          "The scope '{value}' is unknown: write tenant, all, or the short name of one of your directorates.",
          "النطاق '{value}' غير معروف: اكتب tenant أو all أو الاسم المختصر لإحدى مديرياتكم."),
    _Rule("unknown-security-group", ("unknown-security-group",), r"unknown security group '(?P<value>[^']+)'",
          "There is no security group '{value}' in this project: check the name.",
          "لا توجد مجموعة أمان باسم '{value}' في هذا المشروع: تحقق من الاسم."),
    _Rule("file-name", ("file-name",), r"file name '(?P<file>[^']+)' does not match slug '(?P<slug>[^']+)'",
          "The file is called '{file}' but the short name is '{slug}': name the file {slug}.yaml.",
          "اسم الملف '{file}' لا يطابق الاسم المختصر '{slug}': سمِّ الملف {slug}.yaml."),
    _Rule("data-centre", ("bad-inventory", "no-tenants", "bad-approved-set"), "",
          "The data centre's own files have a problem, not your request: tell the data-centre engineers.",
          "توجد مشكلة في ملفات مركز البيانات نفسها وليست في طلبكم: أبلغوا مهندسي مركز البيانات."),
)


def explain(problem: Problem) -> Explanation:
    """The first rule whose code and message fit, with the values of the message filled in."""
    for rule in RULES:
        if problem.code not in rule.codes:
            continue
        match = re.search(rule.pattern, problem.message) if rule.pattern else None
        if rule.pattern and match is None:
            continue
        values = _values(match.groupdict() if match else {})
        return Explanation(rule.kind, _with_suggestion(rule.en.format_map(values), problem.hint, "en"),
                           _with_suggestion(rule.ar.format_map(values), problem.hint, "ar"))
    return _generic(problem)


def _values(groups: dict[str, str | None]) -> dict[str, str]:
    """Named groups, each with an ``_ar`` twin, and field labels for ``key``."""
    values = {k: (v or "") for k, v in groups.items()}
    for name, value in list(values.items()):
        values[f"{name}_ar"] = WORDS_AR.get(value, FIELDS.get(value, (value, value))[1])
    if "choices" in values:
        values["choices_ar"] = values["choices"].replace(" or ", " أو ").replace(", ", "، ")
    key = values.get("key", "")
    label_en, label_ar = FIELDS.get(key, ("", ""))
    values["field_en"] = f"{label_en} ('{key}')" if label_en else f"the field '{key}'" if key else "this value"
    values["Field_en"] = values["field_en"][:1].upper() + values["field_en"][1:]
    values["field_ar"] = f"«{label_ar}» ('{key}')" if label_ar else f"'{key}'" if key else ""
    return values


def _with_suggestion(text: str, hint: str, language: str) -> str:
    """Add the validator's did-you-mean, which names the right spelling."""
    match = re.match(r"did you mean '([^']+)'\?", hint or "")
    if not match:
        return text
    return text + (f" Did you mean '{match.group(1)}'?" if language == "en" else f" هل تقصد '{match.group(1)}'؟")


def _generic(problem: Problem) -> Explanation:
    if problem.severity is Severity.WARNING:
        return Explanation("other", f"Please look at this: {problem.message}.",
                           "يرجى مراجعة هذا الموضع (التفاصيل بالإنجليزية أعلاه). لا يمنع هذا التنبيه الموافقة على الطلب.")
    return Explanation("other", f"This value needs to be corrected: {problem.message}.",
                       "هذه القيمة تحتاج إلى تصحيح (التفاصيل بالإنجليزية أعلاه). إذا لم يكن الحل واضحاً، "
                       "تواصلوا مع مهندسي مركز البيانات.")


def summary(errors: int, warnings: int) -> tuple[str, str]:
    """The last lines of a check, in both languages."""
    if errors:
        return (f"{errors} problem(s) to fix before the request can be approved"
                + (f", {warnings} note(s)." if warnings else "."),
                f"عدد المشكلات التي يجب إصلاحها قبل الموافقة على الطلب: {errors}"
                + (f"، وعدد الملاحظات: {warnings}." if warnings else "."))
    if warnings:
        return (f"The request can be sent for approval; please read the {warnings} note(s) above.",
                f"يمكن إرسال الطلب للموافقة؛ يرجى قراءة الملاحظات أعلاه (عددها {warnings}).")
    return ("The request is complete and can be sent for approval.",
            "الطلب مكتمل ويمكن إرساله للموافقة.")


SEVERITY_AR = {Severity.ERROR: "خطأ", Severity.WARNING: "ملاحظة"}


def report_lines(problems: list[Problem]) -> list[str]:
    """A check as people read it: where, what in English, what in Arabic, the engineers' wording, a total."""
    lines: list[str] = []
    for p in problems:
        words = explain(p)
        lines += [f"{p.location}: {p.severity.value} / {SEVERITY_AR[p.severity]}",
                  f"  {words.en}",
                  f"  {words.ar}",
                  f"  (details: {p.message}" + (f"; fix: {p.hint})" if p.hint else ")")]
    errors = sum(p.severity is Severity.ERROR for p in problems)
    lines += list(summary(errors, len(problems) - errors))
    return lines
