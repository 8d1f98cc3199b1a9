"""Every task declares its queue where it is defined (``config.celery.task``); the router,
not Celery's deprecated ``queue`` task attribute, sends it there."""

from __future__ import annotations

import warnings

from config.celery import TASK_QUEUES, CeleryQueue, app

EXPECTED = {
    "rewards.training_run_execute": CeleryQueue.TRAINING,
    "rewards.score_job_execute": CeleryQueue.SCORING,
    "rewards.reward_model_suggest": CeleryQueue.SCORING,
    "snapshots.snapshot_build": CeleryQueue.EXPORTS,
    "annotator.import_job_execute": CeleryQueue.DEFAULT,
    "judges.judge_run_execute": CeleryQueue.DEFAULT,
    "quality.agreement_recompute": CeleryQueue.DEFAULT,
}


def ours() -> list[str]:
    app.loader.import_default_modules()
    apps = ("annotator.", "judges.", "quality.", "rewards.", "snapshots.")
    return sorted(name for name in app.tasks if name.startswith(apps))


def test_every_task_declares_a_queue_and_is_routed_to_it():
    names = ours()
    assert set(EXPECTED) <= set(names)
    assert set(names) == set(TASK_QUEUES)
    for name in names:
        assert app.amqp.router.route({}, name)["queue"].name == TASK_QUEUES[name], name
        assert getattr(app.tasks[name], "queue", None) is None, name  # deprecated attribute
    for name, queue in EXPECTED.items():
        assert TASK_QUEUES[name] == queue


def test_a_queue_given_when_sending_wins():
    route = app.amqp.router.route({"queue": "scoring"}, "judges.judge_run_execute")
    assert route["queue"].name == "scoring"


def test_sending_raises_no_deprecation_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ours():
            app.amqp.router.route({}, name)
            app.tasks[name].s(1)
