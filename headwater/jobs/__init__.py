"""Background jobs and what users see of them: progress, end, failure.

The queue is Django's tasks interface (`django_tasks`, the backport of Django 6's `django.tasks`) with the database
backend (`django_tasks_db`): a task is a row, `manage.py db_worker` runs them (make run starts one beside the web
server), tests run them at once (the immediate backend). docs/jobs.md says how to run workers in production.

A job, in four steps (stats/tasks.py is a complete example):

1. A module-level task whose function takes `job_id` (and JSON-able keyword arguments) and runs its body inside
   `services.job_running(job_id)` (or `services.run_once(job_id, body)`), reporting progress as it goes::

       @task()
       def import_task(job_id: int, import_id: int) -> None:
           def body(job: Job) -> None:
               for done, row in enumerate(rows, 1):
                   ...
                   job_advance(job=job, done=done, total=len(rows))   # cheap: written at most every 0.5 s
           run_once(job_id, body)

   The job is marked running at the start, done at the end, failed when the body raises (a DomainError's message
   is shown to the user; anything else says "unexpected error", is logged and re-raised for the queue). A task run
   a second time for a finished job does nothing.
2. Register its kind once, in the app's `AppConfig.ready`: `kinds.register_job_kind("imports.run", title=...)`
   (a lazy translation: the title above the bar, in each viewer's language).
3. Where the work is asked for (a service, in its transaction): `job = job_create(account=..., kind=...,
   label=file_name, user=...)`, then `job_enqueue(job=job, task=import_task, import_id=...)`. Both are written in
   the caller's transaction (database backend): kept together or not at all.
4. On a page: `{% load jobs_tags %}{% job_progress job %}` (or `then="reload"` to reload the page once it is done).
   The fragment (jobs/_progress.html) shows a <progress>, "N of M rows", the rate and the time left, polls
   `jobs:progress` every 2 s while queued or running and stops when the job ends. `selectors.job_get`,
   `job_latest`, `job_queued` and `job_pending` find an account's jobs.

A job that makes a file for its users (a big list's XLSX export, records/tasks.py) writes it to
`services.job_new_file(job=..., file_name=..., suffix=...)`: once the job is done, the fragment links it
(`jobs:download`, the account's users only) and the job's own page (`jobs:detail`) shows it.

Progress is committed at once where it can be: on PostgreSQL `job_advance` writes through its own connection (the
`jobs` database alias), so a page sees it while the job's own transaction is open. SQLite has one writer at a time:
there a job that wants its progress seen commits its work in steps and reports between them (inside one long
transaction the progress appears when it commits).

Dead jobs: every progress write is a heartbeat. A running job without one for `JOB_STALE_AFTER_SECONDS` (120 s by
default; report at least that often) is shown as failed: its worker was killed or lost (`Job.is_stale`,
`services.job_fail_stale` records it). A queued job only waits for a worker.
"""
