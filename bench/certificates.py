"""The certificates benchmark: how long a coordinator waits for a roster's 100 certificates
to be rendered and emailed by Celery, next to what WeasyPrint alone needs for the same PDFs.

Production settings (DEBUG off, Redis broker and cache, PostgreSQL) on a scratch database
loaded with the seed catalog, plus past sessions of Module 1 whose 100 trainees are marked
attended. A real Celery worker (prefork, --concurrency 2) runs beside it, started with the
bench environment; its email goes over SMTP to a local aiosmtpd server in this process,
which checks that each message carries its PDF.

Each round, `python -m bench.certificates pipeline` issues one roster's certificates the
way the roster's "Issue certificates" action does (certificates.issuing), from a process
warmed like a web process that has queued tasks before, and waits until
all of them are emailed; the wall time runs from the click to the last one's emailed_at,
which the worker stamps when the mail server accepts it. Then `... bare` renders the same 100 HTML
documents (from certificates.rendering) with WeasyPrint alone, on a pool of 2 processes,
warmed up like the worker's. The median of the rounds' ratios (at least five rounds) is
compared with a target (<= 1.2). How long each
delivery task ran inside the worker (render, then email) is read from the worker's log.

With the worker stopped, `... render` issues a sample more and times, in one process and
alternately, the pipeline's render step (certificates.services.certificate_render: the
record, its HTML, WeasyPrint, the stored PDF) and a bare WeasyPrint render of the same HTML;
the ratio of their medians is compared with a target (<= 1.0). The HTML alone and the email
step (the outbox's registration.services.emails.email_send, once the PDF is kept) are timed too, to show where time goes.

Results go to bench/results/certificates.json. The run fails (non-zero exit) when a
certificate is not delivered, or the mail server did not get its PDF; a missed target is
reported, not fatal.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from . import common
from .common import BenchError, Options

NAME = "certificates"
SCRATCH_DB = "polaris_bench_certificates"
REDIS_DB = 5
CERTIFICATES = 100
CONCURRENCY = 2
WARMUP_CERTIFICATES = 6
SAMPLE = 25
TARGET_WALL_RATIO = 1.2
# The wall ratio sets two runs of 8 s or so against each other on a shared 2-core machine,
# whose speed drifts by a tenth from one minute to the next: at least five rounds, each
# pipeline paired with the bare run right after it, and the median of the pairs' ratios.
MIN_ROUNDS = 5
TARGET_RENDER_RATIO = 1.0
DELIVERY_TIMEOUT = 600.0
WORKER_READY_TIMEOUT = 60.0
# The wall time ends at the last certificate's emailed_at, stamped by the worker as the mail
# server accepts it; polling only notices that it is over, so it can be slow and cheap.
POLL_SECONDS = 0.25
OFFERING = "module-1"


# --------------------------------------------------------------------------------------
# The measuring side: runs inside the bench environment (python -m bench.certificates ...)
# --------------------------------------------------------------------------------------


def _roster(offering, *, days_ago: int, count: int, label: str):
    """A past session of the offering with COUNT confirmed trainees, all marked attended,
    attendance only (a CE certificate would wait for its evaluation)."""
    from datetime import datetime, time, timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from catalog.formatting import PACIFIC
    from catalog.models import Session
    from registration.models import Enrolment, Order, OrderLine, TraineeProfile

    User = get_user_model()
    day = datetime.now(PACIFIC).date() - timedelta(days=days_ago)
    starts = datetime.combine(day, time(9), tzinfo=PACIFIC)
    session = Session.objects.create(
        offering=offering,
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        capacity=count,
        location="Polaris Insight Center, Oakland",
    )
    users = User.objects.bulk_create(
        User(
            username=f"bench-{label}-{n}",
            email=f"{label}-{n}@bench.example",
            first_name="Bench",
            last_name=f"Trainee {n}",
            password=make_password(None),
        )
        for n in range(count)
    )
    professions = ("psychologist", "lmft", "lcsw", "rn", "md")
    TraineeProfile.objects.bulk_create(
        TraineeProfile(
            user=user,
            legal_name=f"Trainee {n:03d} {label.title()} Benchmark-Hernández",
            credentials="PhD",
            profession=professions[n % len(professions)],
            license_number=f"LIC {10000 + n}",
            license_state="CA",
        )
        for n, user in enumerate(users)
    )
    orders = Order.objects.bulk_create(
        Order(
            trainee=user,
            status=Order.Status.PAID,
            payment_method=Order.Method.STRIPE,
            total_cents=35000,
            paid_at=starts - timedelta(days=10),
        )
        for user in users
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            session=session,
            offering=offering,
            description=str(offering),
            tuition_cents=32500,
            admin_fee_cents=2500,
        )
        for order in orders
    )
    Enrolment.objects.bulk_create(
        Enrolment(
            session=session,
            trainee=user,
            status=Enrolment.Status.CONFIRMED,
            order_line=line,
            attendance=Enrolment.Attendance.ATTENDED,
            signed_in_at=starts - timedelta(minutes=5),
            signed_out_at=starts + timedelta(hours=8, minutes=2),
        )
        for user, line in zip(users, lines, strict=True)
    )
    return session


def setup(rounds: int) -> dict[str, Any]:
    """The rosters: a warm-up, one per round, and the render sample; and a coordinator."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from catalog.models import Offering

    offering = Offering.objects.get(slug=OFFERING)
    with transaction.atomic():
        get_user_model().objects.create_superuser(
            "bench-coordinator", "coordinator@bench.example", None
        )
        warmup = _roster(offering, days_ago=3, count=WARMUP_CERTIFICATES, label="warmup")
        measured = [
            _roster(offering, days_ago=4 + n, count=CERTIFICATES, label=f"round{n}")
            for n in range(rounds)
        ]
        sample = _roster(offering, days_ago=4 + rounds, count=SAMPLE, label="sample")
    return {
        "warmup": warmup.pk,
        "rounds": [session.pk for session in measured],
        "sample": sample.pk,
        "session": str(measured[0]) if measured else "",
    }


def _issue(session_id: int):
    """Issue the roster's certificates as the coordinator's roster action does."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.models import Session
    from certificates.services.sessions import session_certificates_issue

    session = Session.objects.select_related("offering").get(pk=session_id)
    coordinator = get_user_model().objects.get(username="bench-coordinator")
    return session_certificates_issue(
        session=session, enrolment_ids=None, by=coordinator, now=timezone.now()
    )


def _certificates(session_id: int):
    from certificates.models import Certificate

    return Certificate.objects.filter(
        enrolment__session_id=session_id, status=Certificate.Status.VALID
    ).order_by("pk")


def _warm_web_process() -> None:
    """The click reaches a web process that has queued tasks before: Celery's task registry
    built, kombu's transport loaded and the broker connected (a quarter of a second in a
    fresh process). This process gets there before the clock starts."""
    from polaris.celery import app

    app.finalize(auto=True)
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=3)


def pipeline(session_id: int) -> dict[str, Any]:
    """Issue a roster's certificates, then wait until every one is emailed (or failed)."""
    from django.db.models import Count, Max, Min, Q

    from certificates.models import Certificate

    Delivery = Certificate.Delivery
    _warm_web_process()
    started_at = time.time()
    started = time.perf_counter()
    report = _issue(session_id)
    issued = time.perf_counter()
    expected = len(report.issued)
    if report.refused or not expected:
        raise SystemExit(f"issuing refused {len(report.refused)} and issued {expected}")
    deadline = started + DELIVERY_TIMEOUT
    while True:
        counts = _certificates(session_id).aggregate(
            emailed=Count("pk", filter=Q(delivery=Delivery.EMAILED)),
            failed=Count("pk", filter=Q(delivery=Delivery.FAILED)),
        )
        if counts["emailed"] + counts["failed"] >= expected:
            break
        if time.perf_counter() > deadline:
            raise SystemExit(
                f"after {DELIVERY_TIMEOUT:.0f}s only {counts['emailed']} of {expected} "
                "certificates were emailed"
            )
        time.sleep(POLL_SECONDS)
    finished = time.perf_counter()
    failures = list(
        _certificates(session_id)
        .filter(delivery=Delivery.FAILED)
        .values_list("legal_name", "delivery_error")[:10]
    )
    stamps = _certificates(session_id).aggregate(
        first_rendered=Min("rendered_at"),
        first_emailed=Min("emailed_at"),
        last_emailed=Max("emailed_at"),
    )

    def since_start(moment) -> float | None:
        return round(moment.timestamp() - started_at, 3) if moment else None

    return {
        "certificates": expected,
        "emailed": counts["emailed"],
        "failed": counts["failed"],
        "failures": failures,
        "wall_s": since_start(stamps["last_emailed"]) or round(finished - started, 3),
        "noticed_after_s": round(finished - started, 3),
        "issue_s": round(issued - started, 3),
        "first_rendered_after_s": since_start(stamps["first_rendered"]),
        "first_emailed_after_s": since_start(stamps["first_emailed"]),
        "last_emailed_after_s": since_start(stamps["last_emailed"]),
    }


def _html(certificate) -> str:
    """The certificate's HTML document as it stands on its own, linking its stylesheet: what
    WeasyPrint alone is given (the pipeline hands it the same, with the stylesheet parsed)."""
    from certificates.services import rendering

    return rendering.certificate_html(certificate)


def _base_url() -> str:
    from polaris.pdf import static_base_url

    return static_base_url()


def _bare_render(html: str, base_url: str) -> bytes:
    """WeasyPrint and nothing else: no Django, no database, no fetcher of ours."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


_BARE_JOB: dict[str, str] = {}


def _bare_pool_start(html: str, base_url: str, ready) -> None:
    """Each pool process renders once before it is timed, as the worker's already have."""
    _BARE_JOB["base_url"] = base_url
    _bare_render(html, base_url)
    ready.put(os.getpid())


def _bare_pool_render(html: str) -> int:
    return len(_bare_render(html, _BARE_JOB["base_url"]))


def bare(session_id: int) -> dict[str, Any]:
    """Render the roster's certificates' HTML with WeasyPrint alone on 2 processes."""
    import multiprocessing

    from django.db import connections

    htmls = [_html(certificate) for certificate in _certificates(session_id)]
    base_url = _base_url()
    connections.close_all()  # the pool forks: no database connection is shared
    context = multiprocessing.get_context("fork")
    ready = context.Queue()
    with context.Pool(
        CONCURRENCY, initializer=_bare_pool_start, initargs=(htmls[0], base_url, ready)
    ) as pool:
        for _ in range(CONCURRENCY):
            ready.get(timeout=120)
        started = time.perf_counter()
        sizes = pool.map(_bare_pool_render, htmls, chunksize=1)
        wall = time.perf_counter() - started
    return {
        "documents": len(htmls),
        "wall_s": round(wall, 3),
        "pdf_kib_mean": round(sum(sizes) / len(sizes) / 1024, 1),
        "html_chars_mean": round(sum(map(len, htmls)) / len(htmls)),
    }


def render(session_id: int) -> dict[str, Any]:
    """With no worker running: issue a sample roster's certificates (their delivery stays
    queued), then time the pipeline's render step and a bare render of the same HTML,
    alternately, in this process; the first of each only warms up."""
    from certificates.services.delivery import certificate_render, email_key
    from registration.services.emails import email_send

    report = _issue(session_id)
    certificates = sorted(report.issued, key=lambda c: c.pk)
    if len(certificates) < 3:
        raise SystemExit(f"the sample roster issued {len(certificates)} certificates")
    base_url = _base_url()
    pipeline_ms, bare_ms, html_ms, email_ms = [], [], [], []

    def ms_since(started: float) -> float:
        return (time.perf_counter() - started) * 1000

    for index, certificate in enumerate(certificates):
        started = time.perf_counter()
        html = _html(certificate)
        html_time = ms_since(started)
        # Alternate which goes first, so neither always runs in the other's wake.
        for step in ("bare", "pipeline") if index % 2 else ("pipeline", "bare"):
            started = time.perf_counter()
            if step == "bare":
                _bare_render(html, base_url)
                bare_time = ms_since(started)
            elif certificate_render(certificate_id=certificate.pk):
                pipeline_time = ms_since(started)
            else:
                raise SystemExit(f"certificate {certificate.pk} was not rendered")
        started = time.perf_counter()
        if not email_send(key=email_key(certificate.pk)):
            raise SystemExit(f"certificate {certificate.pk} was not emailed")
        email_time = ms_since(started)
        if index:
            html_ms.append(html_time)
            pipeline_ms.append(pipeline_time)
            bare_ms.append(bare_time)
            email_ms.append(email_time)
    return {
        "sample": len(pipeline_ms),
        "emailed": len(certificates),
        "pipeline_ms": [round(ms, 1) for ms in pipeline_ms],
        "bare_ms": [round(ms, 1) for ms in bare_ms],
        "html_ms": [round(ms, 1) for ms in html_ms],
        "email_ms": [round(ms, 1) for ms in email_ms],
    }


# --------------------------------------------------------------------------------------
# The orchestrating side: `python -m bench certificates`
# --------------------------------------------------------------------------------------


@dataclass
class MailSink:
    """What the local SMTP server received. It stands for a mail server on another machine:
    it answers at once and keeps the raw messages, which are parsed (is a PDF attached?)
    only when counted, after the timing, so checking them takes no CPU from the pipeline."""

    raw: list[bytes] = field(default_factory=list)
    recipients: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.raw.append(envelope.original_content or b"")
            self.recipients.update(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> int:
        return len(self.raw)

    @property
    def with_pdf(self) -> int:
        with self.lock:
            raw = list(self.raw)
        return sum(_carries_pdf(message) for message in raw)


def _carries_pdf(raw: bytes) -> bool:
    message = message_from_bytes(raw, policy=policy.default)
    return any(
        part.get_content_type() == "application/pdf"
        and (part.get_payload(decode=True) or b"").startswith(b"%PDF")
        for part in message.walk()
    )


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[str, MailSink]]:
    """A local SMTP server (aiosmtpd) that keeps count; yield its EMAIL_URL and the count."""
    from aiosmtpd.controller import Controller

    sink = MailSink()
    port = common.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", sink
    finally:
        controller.stop()


@contextlib.contextmanager
def celery_worker(env: dict[str, str]) -> Iterator[Path]:
    """A Celery worker as the Procfile runs it (prefork, CONCURRENCY processes, INFO log)
    in the bench environment, under a name of its own; yield its log's path. Stopped (warm
    shutdown, then its process group killed if stuck) on the way out."""
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in finally)
        mode="w+", prefix="bench-celery-", suffix=".log", delete=False
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "polaris",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(CONCURRENCY),
        "--loglevel",
        "INFO",
        "--hostname",
        f"bench-certificates-{os.getpid()}@%h",
    ]
    print(f"  celery worker (prefork, concurrency {CONCURRENCY})", flush=True)
    proc = subprocess.Popen(
        command,
        cwd=common.REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + WORKER_READY_TIMEOUT
        while "ready." not in Path(log.name).read_text():
            if proc.poll() is not None:
                raise BenchError(
                    f"the Celery worker exited {proc.returncode}:\n"
                    f"{Path(log.name).read_text()[-4000:]}"
                )
            if time.monotonic() > deadline:
                raise BenchError("the Celery worker was not ready within a minute")
            time.sleep(0.2)
        yield Path(log.name)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
        with contextlib.suppress(OSError):
            errors = [
                line
                for line in Path(log.name).read_text().splitlines()
                if "ERROR" in line or "Traceback" in line or "WARNING" in line
            ]
            if errors:
                print("  worker log (warnings and errors):", flush=True)
                print(common._indent("\n".join(errors[-40:])), flush=True)
            os.unlink(log.name)


_TASK_SUCCEEDED = re.compile(
    r"Task registration\.tasks\.email_send\[[^\]]+\] succeeded in ([\d.]+)s"
)


def _task_runtimes_ms(log: Path, since: int) -> list[float]:
    """How long each delivery task ran inside the worker (render, then email), as the
    worker logs it, from the log's byte offset SINCE on."""
    with log.open("rb") as file:
        file.seek(since)
        text = file.read().decode(errors="replace")
    return [float(seconds) * 1000 for seconds in _TASK_SUCCEEDED.findall(text)]


def _helper(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return common.run_json_module("bench.certificates", args, env)


def _rounds(options: Options) -> int:
    return max(options.rounds, MIN_ROUNDS)


def _summarise(
    *, setup: dict, rounds: list[dict], render: dict, sink: MailSink, options: Options
) -> dict[str, Any]:
    import statistics

    walls = [entry["pipeline"]["wall_s"] for entry in rounds]
    task_ms = [ms for entry in rounds for ms in entry["pipeline"]["task_ms"]]
    bares = [entry["bare"]["wall_s"] for entry in rounds]
    wall, bare_wall = statistics.median(walls), statistics.median(bares)
    pipeline_ms = statistics.median(render["pipeline_ms"])
    bare_ms = statistics.median(render["bare_ms"])
    per_round = [pipeline / bare for pipeline, bare in zip(walls, bares, strict=True)]
    wall_ratio = round(statistics.median(per_round), 3)
    render_ratio = round(pipeline_ms / bare_ms, 3)
    first = rounds[0]
    return {
        **common.result_head(NAME, redis_db=REDIS_DB),
        "setup": {
            "certificates_per_roster": CERTIFICATES,
            "kind": "Certificate of Attendance (letter landscape, QR code)",
            "session": setup["session"],
            "issued_by": "certificates.services.sessions.session_certificates_issue (the roster action)",
            "worker": f"celery worker --pool prefork --concurrency {CONCURRENCY}, Redis broker",
            "email": "SMTP to a local aiosmtpd server, PDF attached",
            "database": "PostgreSQL (scratch database), DEBUG=0",
            "bare": f"weasyprint.HTML(string).write_pdf() on multiprocessing Pool({CONCURRENCY})",
            "rounds": _rounds(options),
            "warmup_certificates": WARMUP_CERTIFICATES,
            "render_sample": render["sample"],
        },
        "pipeline": {
            "wall_s": walls,
            "median_wall_s": wall,
            "issue_s": [entry["pipeline"]["issue_s"] for entry in rounds],
            "first_emailed_after_s": [
                entry["pipeline"]["first_emailed_after_s"] for entry in rounds
            ],
            "per_certificate_ms": round(wall * CONCURRENCY / CERTIFICATES * 1000, 1),
            "task_ms_median": round(statistics.median(task_ms), 1) if task_ms else None,
            "tasks_logged": len(task_ms),
            # The share of the worker processes' time (wall x concurrency) spent inside
            # delivery tasks; the rest is Celery handing tasks over, the wait for the first
            # one while the roster is issued, and the CPU the other processes take.
            "worker_busy_share": [
                round(
                    sum(entry["pipeline"]["task_ms"])
                    / (entry["pipeline"]["wall_s"] * 1000 * CONCURRENCY),
                    3,
                )
                for entry in rounds
            ],
            "emailed": sum(entry["pipeline"]["emailed"] for entry in rounds),
            "failed": sum(entry["pipeline"]["failed"] for entry in rounds),
        },
        "bare": {
            "wall_s": bares,
            "median_wall_s": bare_wall,
            "per_document_ms": round(bare_wall * CONCURRENCY / CERTIFICATES * 1000, 1),
            "pdf_kib_mean": first["bare"]["pdf_kib_mean"],
            "html_chars_mean": first["bare"]["html_chars_mean"],
        },
        "render_step": {
            "pipeline_ms_median": round(pipeline_ms, 1),
            "bare_ms_median": round(bare_ms, 1),
            "html_ms_median": round(statistics.median(render["html_ms"]), 1),
            "email_step_ms_median": round(statistics.median(render["email_ms"]), 1),
            "pipeline_ms": render["pipeline_ms"],
            "bare_ms": render["bare_ms"],
        },
        "mail": {"messages": sink.messages, "with_pdf": sink.with_pdf},
        "ratios": {
            # The median of the rounds' ratios, each round's pipeline against the bare run
            # right after it (the ratio of the medians is there too).
            "wall_vs_bare": wall_ratio,
            "wall_vs_bare_per_round": [round(ratio, 3) for ratio in per_round],
            "wall_vs_bare_of_medians": round(wall / bare_wall, 3),
            "render_vs_bare": render_ratio,
        },
        "targets": {
            "wall_vs_bare": TARGET_WALL_RATIO,
            "render_vs_bare": TARGET_RENDER_RATIO,
        },
        "met": {
            "wall_vs_bare": wall_ratio <= TARGET_WALL_RATIO,
            "render_vs_bare": render_ratio <= TARGET_RENDER_RATIO,
        },
        "passed": wall_ratio <= TARGET_WALL_RATIO and render_ratio <= TARGET_RENDER_RATIO,
    }


def _print(result: dict[str, Any]) -> None:
    machine = result["machine"]
    pipeline, bare, step = result["pipeline"], result["bare"], result["render_step"]
    print()
    print(
        f"Certificates benchmark — {machine['cpu_model']}, {machine['cores']} cores, "
        f"Python {machine['python']}, Django {machine['django']}"
    )
    print(
        f"{CERTIFICATES} certificates per roster, Celery prefork concurrency {CONCURRENCY}; "
        f"median of {result['setup']['rounds']} rounds"
    )
    rows = [
        [
            "issue → all emailed (worker)",
            f"{pipeline['median_wall_s']:.2f}",
            f"{pipeline['per_certificate_ms']:.0f}",
        ],
        [
            "  one delivery task in the worker (median)",
            "—",
            "—" if pipeline["task_ms_median"] is None else f"{pipeline['task_ms_median']:.0f}",
        ],
        [
            f"bare WeasyPrint, Pool({CONCURRENCY})",
            f"{bare['median_wall_s']:.2f}",
            f"{bare['per_document_ms']:.0f}",
        ],
        ["render step in the pipeline (1 process)", "—", f"{step['pipeline_ms_median']:.0f}"],
        ["bare render of the same HTML (1 process)", "—", f"{step['bare_ms_median']:.0f}"],
        ["  the certificate's HTML alone", "—", f"{step['html_ms_median']:.0f}"],
        ["  email step (SMTP, PDF attached)", "—", f"{step['email_step_ms_median']:.0f}"],
    ]
    print(common.table(["", "wall s", "ms / certificate"], rows))
    ratios, targets, met = result["ratios"], result["targets"], result["met"]
    for key, label in (("wall_vs_bare", "wall / bare"), ("render_vs_bare", "render / bare")):
        verdict = "met" if met[key] else "MISSED"
        rounds = ratios.get(f"{key}_per_round")
        each = f"; rounds {', '.join(f'{r:.2f}' for r in rounds)}" if rounds else ""
        print(f"{label}: {ratios[key]:.2f} (target ≤ {targets[key]}) {verdict}{each}")
    print(
        f"emailed {pipeline['emailed']}, failed {pipeline['failed']}; the mail server got "
        f"{result['mail']['messages']} messages, {result['mail']['with_pdf']} with a PDF"
    )


def run(options: Options) -> int:
    """Run the certificates benchmark; 0 when every certificate was delivered, 1 otherwise."""
    print(f"== {NAME}", flush=True)
    redis_url = f"{common.REDIS_SERVER}/{REDIS_DB}"
    rounds: list[dict[str, Any]] = []
    try:
        with (
            common.scratch_database(SCRATCH_DB) as database_url,
            tempfile.TemporaryDirectory(prefix="bench-certificates-") as media,
            smtp_sink() as (email_url, sink),
        ):
            env = common.production_env(database_url=database_url, redis_url=redis_url)
            env.update(EMAIL_URL=email_url, MEDIA_ROOT=media)
            common.flush_redis(redis_url)
            try:
                common.manage(["migrate", "--noinput", "--verbosity", "0"], env)
                common.manage(["load_catalog"], env)
                common.manage(["collectstatic", "--noinput", "--verbosity", "0"], env)
                setup = _helper(["setup", str(_rounds(options))], env)
                with celery_worker(env) as log:
                    warm = _helper(["pipeline", str(setup["warmup"])], env)
                    print(f"  warm-up: {warm['certificates']} in {warm['wall_s']:.2f}s", flush=True)
                    for number, session_id in enumerate(setup["rounds"], start=1):
                        offset = log.stat().st_size
                        measured = _helper(["pipeline", str(session_id)], env)
                        time.sleep(0.3)  # the worker logs a task after it reports it done
                        measured["task_ms"] = _task_runtimes_ms(log, offset)
                        bare = _helper(["bare", str(session_id)], env)
                        print(
                            f"  round {number}: {measured['emailed']} emailed in "
                            f"{measured['wall_s']:.2f}s (issuing {measured['issue_s']:.2f}s); "
                            f"bare {bare['wall_s']:.2f}s",
                            flush=True,
                        )
                        rounds.append({"pipeline": measured, "bare": bare})
                render = _helper(["render", str(setup["sample"])], env)
            finally:
                # The render sample's deliveries stay queued on the broker: leave nothing.
                with contextlib.suppress(BenchError):
                    common.flush_redis(redis_url)
            expected = (
                warm["certificates"]
                + sum(r["pipeline"]["certificates"] for r in rounds)
                + render["emailed"]
            )
            time.sleep(0.5)  # the last message's DATA is handled after the worker's 250
    except BenchError as exc:
        return common.failed(NAME, exc)
    result = _summarise(setup=setup, rounds=rounds, render=render, sink=sink, options=options)
    common.report(NAME, result, _print)
    problems = []
    if result["pipeline"]["failed"]:
        problems.append(f"{result['pipeline']['failed']} certificates failed to deliver")
    if sink.messages != expected or sink.with_pdf != expected:
        problems.append(
            f"the mail server got {sink.messages} messages ({sink.with_pdf} with a PDF), "
            f"expected {expected}"
        )
    if problems:
        print(f"{NAME}: FAILED: {'; '.join(problems)}", file=sys.stderr, flush=True)
        return 1
    return 0


def _main(argv: list[str]) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connections

    command, *args = argv
    try:
        if command == "setup":
            return setup(int(args[0]))
        if command in ("pipeline", "bare", "render"):
            return {"pipeline": pipeline, "bare": bare, "render": render}[command](int(args[0]))
    finally:
        connections.close_all()
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    if not sys.argv[1:] or sys.argv[1] not in ("setup", "pipeline", "bare", "render"):
        raise SystemExit(
            "usage: python -m bench.certificates setup|pipeline|bare|render ARG "
            "(run by `python -m bench certificates`)"
        )
    print(json.dumps(_main(sys.argv[1:]), default=str))
