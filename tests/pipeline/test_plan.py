"""The plan of a test run: what a stage pulls in, and what the quick lane leaves out (tests/pipeline/plan.py)."""

import pytest

from pipeline import plan


def names(jobs):
    return [job.name for job in jobs]


def test_a_stage_pulls_in_what_it_needs_and_nothing_else():
    assert names(plan.selected(['unit'])) == ['venv-newest', 'venv-oldest', 'unit']
    e2e = names(plan.selected(['e2e']))
    assert {'k8s', 'k8s-oldest', 'kubelogin', 'authentik-2025.10.4', 'authentik-2026.2.2'} <= set(e2e)
    assert 'chromium' not in e2e and 'node' not in e2e
    assert {'e2e-newest', 'e2e-oldest'} <= set(e2e)
    # One real server's stage brings up that server and no other.
    real = names(plan.selected(['real-2026.2.2']))
    assert 'authentik-2026.2.2' in real and 'authentik-2025.10.4' not in real


def test_the_quick_lane_needs_no_build_no_server_and_no_node():
    quick = plan.selected(['quick'])
    assert not [job.name for job in quick if job.build or job.servers or job.holds]


def test_stages_that_share_a_node_say_so():
    holders = [job.name for job in plan.selected(['all']) if 'single-node' in job.holds]
    assert holders == ['e2e-newest', 'e2e-oldest', 'node']
    assert [job.name for job in plan.selected(['all']) if 'ha-cluster' in job.holds] == ['ha']
    for release in plan.REAL_RELEASES:  # a real server's access log counts every request: one user at a time
        users = [job.name for job in plan.selected(['all']) if 'authentik-' + release in job.holds]
        assert len(users) == 2 and 'real-' + release in users, users


def test_an_unknown_stage_is_refused_with_the_stages_there_are():
    with pytest.raises(ValueError, match="unknown stage 'nod'; stages: sanity lint"):
        plan.selected(['nod'])
