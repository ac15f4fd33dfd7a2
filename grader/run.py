"""`grader run`: fetch a whole class, grade it in parallel, keep history, write every output."""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from grader.environment import check_environment
from grader.errors import GraderError
from grader.exercise import Exercise
from grader.session import CANCEL, GradingCancelled
from grader.pool import WarmPool
from grader.result import LateInfo, Result, StudentResult, SubmissionInfo
from grader.rubric import LatePolicy
from grader.sandbox.base import GraderFault
from grader.scoring import ungradable
from grader.shard import Shard
from grader.sources import Submission
from grader.store import RunRecord, Store, StoreFull
from grader.submission import content_key

if TYPE_CHECKING:
    from grader.sources.collect import Collection


@dataclass
class RunOptions:
    """What `grader run` was asked to do (flags already parsed and checked)."""

    source: str
    out: Path
    jobs: int = field(default_factory=lambda: os.cpu_count() or 2)
    sandbox: str = "process"
    deadline: datetime | None = None
    late_from_rubric: bool = True  # False: `late` below decides (None = no late policy)
    late: LatePolicy | None = None
    force: bool = False
    token: str | None = None
    roster: Path | None = None
    cache: Path | None = None
    gradebook_format: str | None = None
    shard: Shard | None = None


@dataclass
class RunReport:
    """What a run did: every row of the gradebook, and how many were graded now or reused."""

    entries: list[StudentResult]
    record: RunRecord
    graded: int = 0
    reused: int = 0
    interrupted: bool = False
    unsaved: str | None = None  # why some results could not be kept in grader.db (its disk is full)

    @property
    def ungradable(self) -> list[StudentResult]:
        """The rows with no score because the grader failed (after every attempt)."""
        return [e for e in self.entries if e.status == "ungradable"]


def fingerprint(exercise: Exercise, sandbox: str) -> str:
    """Rubric + tests (+ image for docker): a stored result is reused only for the same one."""
    if sandbox == "docker":
        from grader.sandbox.image import ensure_image

        return f"{exercise.fingerprint()}:{ensure_image(exercise).split(':')[-1]}"
    return exercise.fingerprint()


def source_key(submission: Submission) -> str | None:
    """What identifies the graded files: the commit, else a hash of the folder."""
    if submission.commit:
        return submission.commit
    return content_key(submission.path) if submission.path else None


def make_entry(submission: Submission, result: Result | None, late: LatePolicy | None, max_score: int) -> StudentResult:
    """A gradebook row. The late penalty applies only when the policy made us grade late work."""
    commit_time = submission.commit_time.isoformat() if submission.commit_time else None
    base = {
        "student": submission.student, "max_score": max_score, "commit": submission.commit,
        "commit_time": commit_time, "extra": submission.extra, "reason": submission.reason,
        "repository": submission.repository,
    }
    if result is None:
        return StudentResult(status=submission.status, late=LateInfo(days=submission.late_days), **base)
    if result.status == "ungradable":  # no score at all: not a 0, not a late 0
        return StudentResult(status="ungradable", score=None, late=LateInfo(days=round(submission.late_days, 3)),
                             result=result, **{**base, "reason": result.errors[0]})
    penalty = late.penalty(submission.late_days, max_score) if late and result.status == "graded" else 0.0
    return StudentResult(
        status=result.status,
        score=max(0.0, round(result.score - penalty, 2)),
        late=LateInfo(days=round(submission.late_days, 3), penalty=penalty),
        result=result,
        **{**base, "reason": result.errors[0] if result.status == "error" and result.errors else submission.reason},
    )


def run_class(
    exercise: Exercise,
    options: RunOptions,
    on_start: Callable[[int, int], None] = lambda total, fetching: None,
    on_done: Callable[[StudentResult, bool], None] = lambda entry, reused: None,
    on_retry: Callable[[str, str, int], None] = lambda student, reason, attempt: None,
    on_ready: Callable[[Submission], None] = lambda submission: None,
) -> RunReport:
    """Grade every submission of SOURCE; results are saved one by one as they finish.

    Grading starts with the first submission ready: the other repositories are fetched
    meanwhile. `on_start` hears the number of submissions and of repositories to fetch,
    `on_ready` each submission as it arrives (fetched and exported, or known at once), `on_done`
    each row of the gradebook. A grading the grader itself failed (ungradable) is tried up to
    ATTEMPTS times; `on_retry` hears each failed attempt (student, reason, attempt number).
    """
    from grader.sources.collect import start_collecting

    rubric = exercise.load_rubric().rubric
    late = rubric.late if options.late_from_rubric else options.late
    check_environment([exercise], options.sandbox)  # before anything is fetched or written
    out = writable_folder(options.out)
    store = Store(out / "grader.db")
    version = fingerprint(exercise, options.sandbox)
    record = RunRecord(exercise=exercise.slug, fingerprint=version, exercise_fingerprint=exercise.fingerprint(),
                       sandbox=options.sandbox, title=rubric.title, criteria=[c.id for c in rubric.criteria],
                       shard=str(options.shard) if options.shard else None)
    store.begin_run(record)
    rows: dict[str, int] = {}  # student → the stored result that is their gradebook row
    entries: dict[str, StudentResult] = {}
    report = RunReport(entries=[], record=record)
    students: list[str] = []  # every submission's, as it arrived
    pool: WarmPool | None = None

    def grade_one(submission: Submission) -> StudentResult:
        shown = SubmissionInfo(path=submission.extra.get("repo") or submission.student, commit=submission.commit)
        for attempt in range(1, ATTEMPTS + 1):
            result = _attempt(pool, exercise, submission, shown)
            if result.status != "ungradable" or attempt == ATTEMPTS:
                break
            on_retry(submission.student, result.errors[0], attempt)
        entry = make_entry(submission, result, late, rubric.max_score)
        try:
            rows[submission.student] = store.save(exercise.slug, version, source_key(submission), entry)
        except StoreFull as exc:  # not kept, so not final: ungradable here, graded again next run
            report.unsaved = str(exc)
            entry = make_entry(submission, _fault(exercise, shown, f"the result could not be saved: {exc}"),
                               late, rubric.max_score)
        return entry

    def arrived(submission: Submission) -> Submission | None:
        """Record what needs no grading now; return the submission if it does."""
        nonlocal pool
        students.append(submission.student)
        on_ready(submission)
        if submission.status != "ok":
            entries[submission.student] = make_entry(submission, None, late, rubric.max_score)
            try:
                rows[submission.student] = store.save(exercise.slug, version, None, entries[submission.student])
            except StoreFull as exc:
                report.unsaved = str(exc)
            on_done(entries[submission.student], False)
            return None
        cached = None if options.force else store.reusable(exercise.slug, version, submission.student,
                                                           source_key(submission))
        if cached is not None:
            rows[submission.student], entries[submission.student] = cached
            report.reused += 1
            on_done(cached[1], True)
            return None
        if pool is None:  # warm, single-use graders (grader/warm.py): pytest and each next sandbox started ahead
            pool = WarmPool(exercise, options.sandbox, options.jobs)
        return submission

    with tempfile.TemporaryDirectory(prefix="grader-run-") as tmp:
        collection = start_collecting(
            options.source, cache=options.cache or out / ".repos", work=Path(tmp), deadline=options.deadline,
            grade_newest=late is not None, token=options.token, roster=options.roster, jobs=options.jobs,
            shard=options.shard,
        )
        with collection:
            on_start(collection.total, collection.fetching)
            try:
                report.interrupted, report.graded = _grade_all(collection, arrived, grade_one, options.jobs,
                                                               entries, on_done)
            finally:
                if pool is not None:
                    pool.close()
    order = sorted((name for name in students if name in entries), key=str.casefold)
    report.entries = [entries[name] for name in order]
    if not report.interrupted and all(name in rows for name in order):
        try:
            store.finish_run(record, [rows[name] for name in order])
        except StoreFull as exc:
            report.unsaved = str(exc)
    store.close()
    return report


ATTEMPTS = 3  # gradings of one submission the grader may fail before it stays ungradable


def _attempt(pool: WarmPool, exercise: Exercise, submission: Submission, shown: SubmissionInfo) -> Result:
    """One grading; a fault of the grader's (server gone, host out of disk, our bug) is an ungradable Result."""
    try:
        result = pool.grade(submission.path)
    except (GraderError, GradingCancelled):
        raise  # the exercise itself is broken, or Ctrl-C: stop the run
    except GraderFault as fault:
        result = _fault(exercise, shown, fault.message)
    except Exception as exc:  # noqa: BLE001 - our bug or the host's (e.g. no space left): not the student's 0
        result = _fault(exercise, shown, f"{type(exc).__name__}: {exc} (an error of flask-grader's own, or of the host "
                                         "it runs on; if it stays, please report it)")
    # The grader's scratch path means nothing to a reader: name the student's repository.
    result.submission = shown
    return result


def _fault(exercise: Exercise, shown: SubmissionInfo, reason: str) -> Result:
    return ungradable(exercise.load_rubric(), reason, submission=shown, sandbox="", duration=0.0)


def _grade_all(collection: Collection, arrived, grade_one, jobs: int, entries: dict,
               on_done) -> tuple[bool, int]:
    """Grade each submission the collection hands over (while it fetches the next), `jobs` at a time.

    Returns (interrupted, how many were graded): on Ctrl-C the rest is cancelled and what
    finished is kept. The collection is read in a thread of its own, so a slow fetch never
    holds back a finished grading's row.
    """
    CANCEL.clear()
    events: queue.SimpleQueue = queue.SimpleQueue()  # ("ready", submission) | ("end", error) | ("done", future)

    def read() -> None:
        try:
            for submission in collection:
                events.put(("ready", submission))
        except BaseException as error:  # noqa: BLE001 - raised again in the main thread
            events.put(("end", error))
        else:
            events.put(("end", None))

    reader = threading.Thread(target=read, name="collect", daemon=True)
    reader.start()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade")
    running = 0
    graded = 0
    reading = True
    try:
        while reading or running:
            try:
                kind, item = events.get(timeout=0.5)  # a timeout keeps Ctrl-C prompt
            except queue.Empty:
                continue
            if kind == "ready":
                submission = arrived(item)
                if submission is not None:
                    running += 1
                    pool.submit(grade_one, submission).add_done_callback(lambda f: events.put(("done", f)))
            elif kind == "end":
                reading = False
                if item is not None:
                    raise item
            else:
                running -= 1
                try:
                    entry = item.result()
                except GradingCancelled:
                    continue
                entries[entry.student] = entry
                graded += 1
                on_done(entry, False)
        return False, graded
    except KeyboardInterrupt:
        CANCEL.set()  # running gradings stop and clean up (their containers included)
        return True, graded
    finally:
        collection.cancel()  # fetches still running stop at once
        pool.shutdown(wait=True, cancel_futures=True)
        CANCEL.clear()


def writable_folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise GraderError(f"--out {out}: not a writable folder ({exc.strerror})") from None
    return out


def write_outputs(out: Path, entries: list[StudentResult], record: RunRecord,
                  gradebook_format: str | None = None) -> list[Path]:
    """gradebook.csv, summary.json, reports/<student>.{json,md,html}, index.html (+ LMS gradebook).

    Everything comes from the entries and the run's record, not the exercise folder, so
    `grader merge` writes the same files from the stores of shards graded elsewhere.
    """
    from grader.report.dashboard import render_dashboard
    from grader.report.gradebook import write_gradebook, write_lms_gradebook, write_student_reports, write_summary

    written = [out / "gradebook.csv", out / "summary.json", out / "reports", out / "index.html"]
    if gradebook_format:  # first: a missing roster column stops before anything is written
        target = out / f"gradebook-{gradebook_format}.csv"
        write_lms_gradebook(entries, target, gradebook_format, record.title)
        written.append(target)
    write_gradebook(entries, out / "gradebook.csv", record.criteria)
    write_summary(entries, out / "summary.json", record.exercise, record.fingerprint,
                  shard=record.shard, merged_from=record.merged_from)
    write_student_reports(entries, out / "reports", record.title)
    generated = datetime.now(timezone.utc)
    (out / "index.html").write_text(render_dashboard(entries, record.exercise, record.title, generated), encoding="utf-8")
    return written


