-- sbdeploy development metrics, schema version 1.
-- Schema changes go through staging first like any migration; metrics data is always
-- written to production. Idempotent: applying it again changes nothing.
-- Tables are written by `sbdeploy record-metrics` and `sbdeploy metrics backfill`; a unique
-- key on each event makes recording the same event twice a no-op (ON CONFLICT DO NOTHING).

create schema if not exists metrics;
comment on schema metrics is 'sbdeploy development metrics (schema version 1)';

-- Pull request events: opened, reopened, ready_for_review, closed (not merged), merged;
-- 'created' is seed 001's name for opened (and 'reviewed' its review event), kept as written.
create table if not exists metrics.pr_events (
    id bigint generated always as identity primary key,
    repository text not null,
    pr_number integer not null,
    event_type text not null,
    event_timestamp timestamptz not null,
    pr_title text,
    branch_name text,
    base_branch text,
    author text,
    pr_created_at timestamptz,
    cycle_time_seconds bigint,
    run_id text,
    recorded_at timestamptz not null default now(),
    constraint pr_events_event_key unique (repository, pr_number, event_type, event_timestamp),
    constraint pr_events_event_type_check
        check (event_type in ('opened', 'created', 'reopened', 'ready_for_review', 'reviewed', 'closed', 'merged')),
    constraint pr_events_cycle_time_check check (cycle_time_seconds is null or cycle_time_seconds >= 0)
);
create index if not exists pr_events_time_idx on metrics.pr_events (event_timestamp, repository);

-- Deployments: sbdeploy push runs, deployment_status and workflow_run events.
create table if not exists metrics.deployment_events (
    id bigint generated always as identity primary key,
    repository text not null,
    environment text not null,
    status text not null,
    deployed_at timestamptz not null,
    source text not null,
    source_id text not null,
    commit_sha text,
    ref text,
    migrations_applied integer,
    duration_seconds numeric,
    lead_time_seconds bigint,
    run_id text,
    recorded_at timestamptz not null default now(),
    constraint deployment_events_event_key unique (repository, source, source_id),
    constraint deployment_events_status_check check (status in ('success', 'failure'))
);
create index if not exists deployment_events_time_idx
    on metrics.deployment_events (environment, deployed_at, repository);

-- Test runs: one row per report (JUnit XML file or development-metrics JSON file).
create table if not exists metrics.test_runs (
    id bigint generated always as identity primary key,
    repository text not null,
    run_id text not null,
    run_attempt integer not null default 1,
    test_type text not null,
    source text not null,
    run_timestamp timestamptz not null,
    total_tests integer not null,
    passed_tests integer not null,
    failed_tests integer not null,
    skipped_tests integer not null,
    execution_time_seconds numeric,
    branch_name text,
    commit_sha text,
    recorded_at timestamptz not null default now(),
    constraint test_runs_run_key unique (repository, run_id, run_attempt, test_type, source),
    constraint test_runs_counts_check
        check (passed_tests >= 0 and failed_tests >= 0 and skipped_tests >= 0
               and total_tests = passed_tests + failed_tests + skipped_tests)
);
create index if not exists test_runs_time_idx on metrics.test_runs (run_timestamp, repository);

-- Rule compliance: one row per rule and distinct subject (branch name, title, commit subject).
create table if not exists metrics.rule_compliance_events (
    id bigint generated always as identity primary key,
    repository text not null,
    rule_name text not null,
    rule_category text not null,
    compliance_status text not null,
    context_type text not null,
    context_id text not null,
    subject text not null,
    details text,
    event_timestamp timestamptz not null,
    run_id text,
    recorded_at timestamptz not null default now(),
    constraint rule_compliance_events_event_key unique (repository, rule_name, context_type, context_id, subject),
    constraint rule_compliance_events_status_check check (compliance_status in ('compliant', 'violation'))
);
create index if not exists rule_compliance_events_time_idx
    on metrics.rule_compliance_events (event_timestamp, repository);

-- Daily aggregates, refreshed from the views by metrics.refresh_development_metrics().
create table if not exists metrics.development_metrics (
    metric_date date not null,
    repository text not null,
    environment text not null,
    deployment_frequency integer not null default 0,
    failed_deployments integer not null default 0,
    change_failure_rate numeric,
    lead_time_seconds numeric,
    time_to_restore_seconds numeric,
    prs_merged integer not null default 0,
    pr_cycle_time_seconds numeric,
    pr_cycle_time_p90_seconds numeric,
    tests_total integer not null default 0,
    tests_passed integer not null default 0,
    test_pass_rate numeric,
    rule_checks integer not null default 0,
    rule_compliance_rate numeric,
    updated_at timestamptz not null default now(),
    primary key (repository, environment, metric_date)
);

-- Daily figures (UTC days). Views run with the caller's rights, so RLS applies to readers.
create or replace view metrics.daily_deployments with (security_invoker = true) as
select (deployed_at at time zone 'UTC')::date as day,
       repository,
       environment,
       count(*) filter (where status = 'success') as deployments,
       count(*) filter (where status = 'failure') as failed_deployments,
       round(count(*) filter (where status = 'failure')::numeric / count(*), 4) as change_failure_rate,
       percentile_cont(0.5) within group (order by lead_time_seconds)
           filter (where status = 'success') as lead_time_seconds
from metrics.deployment_events
group by 1, 2, 3;

-- An outage starts at a failed deployment that follows a success (or none) in its
-- repository and environment, and ends at the next successful deployment.
create or replace view metrics.restores with (security_invoker = true) as
with ordered as (
    select repository, environment, deployed_at, status,
           lag(status) over w as previous_status
    from metrics.deployment_events
    window w as (partition by repository, environment order by deployed_at, id)
)
select o.repository, o.environment, o.deployed_at as failed_at,
       (select min(s.deployed_at) from metrics.deployment_events s
        where s.repository = o.repository and s.environment = o.environment
          and s.status = 'success' and s.deployed_at > o.deployed_at) as restored_at
from ordered o
where o.status = 'failure' and (o.previous_status is null or o.previous_status = 'success');

create or replace view metrics.daily_time_to_restore with (security_invoker = true) as
select (failed_at at time zone 'UTC')::date as day, repository, environment,
       count(*) as outages,
       percentile_cont(0.5) within group (order by extract(epoch from restored_at - failed_at))
           as time_to_restore_seconds
from metrics.restores
where restored_at is not null
group by 1, 2, 3;

-- Merged pull requests with their cycle time: as recorded, else from the pull request's
-- first opened (or, as seed 001 names it, created) event.
create or replace view metrics.merged_prs with (security_invoker = true) as
select m.repository, m.pr_number, m.event_timestamp,
       coalesce(m.cycle_time_seconds,
                (select extract(epoch from m.event_timestamp - min(o.event_timestamp))::bigint
                 from metrics.pr_events o
                 where o.repository = m.repository and o.pr_number = m.pr_number
                   and o.event_type in ('opened', 'created') and o.event_timestamp <= m.event_timestamp))
           as cycle_time_seconds
from metrics.pr_events m
where m.event_type = 'merged';

create or replace view metrics.daily_pr_cycle_time with (security_invoker = true) as
select (event_timestamp at time zone 'UTC')::date as day, repository,
       count(*) as prs_merged,
       percentile_cont(0.5) within group (order by cycle_time_seconds) as cycle_time_seconds,
       percentile_cont(0.9) within group (order by cycle_time_seconds) as cycle_time_p90_seconds
from metrics.merged_prs
group by 1, 2;

create or replace view metrics.daily_test_pass_rate with (security_invoker = true) as
select (run_timestamp at time zone 'UTC')::date as day, repository,
       sum(total_tests) as tests_total,
       sum(passed_tests) as tests_passed,
       round(sum(passed_tests)::numeric / nullif(sum(passed_tests + failed_tests), 0), 4) as test_pass_rate
from metrics.test_runs
group by 1, 2;

create or replace view metrics.daily_rule_compliance with (security_invoker = true) as
select (event_timestamp at time zone 'UTC')::date as day, repository,
       count(*) as rule_checks,
       round(count(*) filter (where compliance_status = 'compliant')::numeric / count(*), 4) as rule_compliance_rate
from metrics.rule_compliance_events
group by 1, 2;

-- Weekly roll-up for trends (seed 001: daily for dashboards, weekly for trends), weeks
-- starting on Monday (UTC), computed from the events: one row per repository, week and
-- deployment environment ('production' when the week had pull requests, tests or rule
-- checks but no deployment); the pull request, test and rule figures are the repository's.
create or replace view metrics.weekly_development_metrics with (security_invoker = true) as
with d as (
    select date_trunc('week', deployed_at at time zone 'UTC')::date as week_start, repository, environment,
           count(*) filter (where status = 'success') as deployments,
           count(*) filter (where status = 'failure') as failed_deployments,
           round(count(*) filter (where status = 'failure')::numeric / count(*), 4) as change_failure_rate,
           percentile_cont(0.5) within group (order by lead_time_seconds)
               filter (where status = 'success') as lead_time_seconds
    from metrics.deployment_events
    group by 1, 2, 3
),
r as (
    select date_trunc('week', failed_at at time zone 'UTC')::date as week_start, repository, environment,
           percentile_cont(0.5) within group (order by extract(epoch from restored_at - failed_at))
               as time_to_restore_seconds
    from metrics.restores
    where restored_at is not null
    group by 1, 2, 3
),
p as (
    select date_trunc('week', event_timestamp at time zone 'UTC')::date as week_start, repository,
           count(*) as prs_merged,
           percentile_cont(0.5) within group (order by cycle_time_seconds) as cycle_time_seconds,
           percentile_cont(0.9) within group (order by cycle_time_seconds) as cycle_time_p90_seconds
    from metrics.merged_prs
    group by 1, 2
),
t as (
    select date_trunc('week', run_timestamp at time zone 'UTC')::date as week_start, repository,
           sum(total_tests) as tests_total,
           sum(passed_tests) as tests_passed,
           round(sum(passed_tests)::numeric / nullif(sum(passed_tests + failed_tests), 0), 4) as test_pass_rate
    from metrics.test_runs
    group by 1, 2
),
c as (
    select date_trunc('week', event_timestamp at time zone 'UTC')::date as week_start, repository,
           count(*) as rule_checks,
           round(count(*) filter (where compliance_status = 'compliant')::numeric / count(*), 4)
               as rule_compliance_rate
    from metrics.rule_compliance_events
    group by 1, 2
),
keys as (
    select week_start, repository, environment from d
    union select week_start, repository, 'production' from p
    union select week_start, repository, 'production' from t
    union select week_start, repository, 'production' from c
)
select k.week_start, k.repository, k.environment,
       coalesce(d.deployments, 0) as deployment_frequency, coalesce(d.failed_deployments, 0) as failed_deployments,
       d.change_failure_rate, d.lead_time_seconds, r.time_to_restore_seconds,
       coalesce(p.prs_merged, 0) as prs_merged, p.cycle_time_seconds as pr_cycle_time_seconds,
       p.cycle_time_p90_seconds as pr_cycle_time_p90_seconds,
       coalesce(t.tests_total, 0) as tests_total, coalesce(t.tests_passed, 0) as tests_passed, t.test_pass_rate,
       coalesce(c.rule_checks, 0) as rule_checks, c.rule_compliance_rate
from keys k
left join d on d.week_start = k.week_start and d.repository = k.repository and d.environment = k.environment
left join r on r.week_start = k.week_start and r.repository = k.repository and r.environment = k.environment
left join p on p.week_start = k.week_start and p.repository = k.repository
left join t on t.week_start = k.week_start and t.repository = k.repository
left join c on c.week_start = k.week_start and c.repository = k.repository;

-- Recomputes development_metrics for the days from p_from to p_to (inclusive): one row per
-- repository and day with any activity, deployment figures for p_environment. The same
-- figures as the daily views, computed once each: the large tables are read for those days
-- only (a range on their time index) and each row's day is computed once.
create or replace function metrics.refresh_development_metrics(p_from date, p_to date,
                                                               p_environment text default 'production')
returns integer
language sql
security invoker
set search_path = ''
set work_mem = '64MB'
as $$
    with d as materialized (
        select day, repository, deployments, failed_deployments, change_failure_rate, lead_time_seconds
        from metrics.daily_deployments where environment = p_environment and day between p_from and p_to
    ),
    r as materialized (
        select day, repository, time_to_restore_seconds
        from metrics.daily_time_to_restore where environment = p_environment and day between p_from and p_to
    ),
    p as materialized (
        select (event_timestamp at time zone 'UTC')::date as day, repository,
               count(*) as prs_merged,
               percentile_cont(0.5) within group (order by cycle_time_seconds) as cycle_time_seconds,
               percentile_cont(0.9) within group (order by cycle_time_seconds) as cycle_time_p90_seconds
        from metrics.merged_prs
        where event_timestamp >= p_from::timestamp at time zone 'UTC'
          and event_timestamp < (p_to + 1)::timestamp at time zone 'UTC'
        group by 1, 2
    ),
    t as materialized (
        select (run_timestamp at time zone 'UTC')::date as day, repository,
               sum(total_tests) as tests_total,
               sum(passed_tests) as tests_passed,
               round(sum(passed_tests)::numeric / nullif(sum(passed_tests + failed_tests), 0), 4) as test_pass_rate
        from metrics.test_runs
        where run_timestamp >= p_from::timestamp at time zone 'UTC'
          and run_timestamp < (p_to + 1)::timestamp at time zone 'UTC'
        group by 1, 2
    ),
    c as materialized (
        select (event_timestamp at time zone 'UTC')::date as day, repository,
               count(*) as rule_checks,
               round(count(*) filter (where compliance_status = 'compliant')::numeric / count(*), 4) as rule_compliance_rate
        from metrics.rule_compliance_events
        where event_timestamp >= p_from::timestamp at time zone 'UTC'
          and event_timestamp < (p_to + 1)::timestamp at time zone 'UTC'
        group by 1, 2
    ),
    keys as (
        select day, repository from d
        union select day, repository from p
        union select day, repository from t
        union select day, repository from c
    ),
    upserted as (
        insert into metrics.development_metrics as m (
            metric_date, repository, environment, deployment_frequency, failed_deployments,
            change_failure_rate, lead_time_seconds, time_to_restore_seconds, prs_merged,
            pr_cycle_time_seconds, pr_cycle_time_p90_seconds, tests_total, tests_passed, test_pass_rate,
            rule_checks, rule_compliance_rate, updated_at)
        select k.day, k.repository, p_environment,
               coalesce(d.deployments, 0), coalesce(d.failed_deployments, 0), d.change_failure_rate,
               d.lead_time_seconds, r.time_to_restore_seconds, coalesce(p.prs_merged, 0),
               p.cycle_time_seconds, p.cycle_time_p90_seconds, coalesce(t.tests_total, 0),
               coalesce(t.tests_passed, 0), t.test_pass_rate, coalesce(c.rule_checks, 0),
               c.rule_compliance_rate, now()
        from keys k
        left join d on d.day = k.day and d.repository = k.repository
        left join r on r.day = k.day and r.repository = k.repository
        left join p on p.day = k.day and p.repository = k.repository
        left join t on t.day = k.day and t.repository = k.repository
        left join c on c.day = k.day and c.repository = k.repository
        on conflict (repository, environment, metric_date) do update set
            deployment_frequency = excluded.deployment_frequency,
            failed_deployments = excluded.failed_deployments,
            change_failure_rate = excluded.change_failure_rate,
            lead_time_seconds = excluded.lead_time_seconds,
            time_to_restore_seconds = excluded.time_to_restore_seconds,
            prs_merged = excluded.prs_merged,
            pr_cycle_time_seconds = excluded.pr_cycle_time_seconds,
            pr_cycle_time_p90_seconds = excluded.pr_cycle_time_p90_seconds,
            tests_total = excluded.tests_total,
            tests_passed = excluded.tests_passed,
            test_pass_rate = excluded.test_pass_rate,
            rule_checks = excluded.rule_checks,
            rule_compliance_rate = excluded.rule_compliance_rate,
            updated_at = excluded.updated_at
        returning 1
    )
    select count(*)::integer from upserted;
$$;

-- Row level security: everyone is denied unless a policy allows. The service role writes
-- (CI); signed-in users read (dashboards); anon gets nothing. The roles are Supabase's;
-- on a plain Postgres without them only RLS is switched on.
alter table metrics.pr_events enable row level security;
alter table metrics.deployment_events enable row level security;
alter table metrics.test_runs enable row level security;
alter table metrics.rule_compliance_events enable row level security;
alter table metrics.development_metrics enable row level security;

do $$
declare
    t text;
begin
    revoke all on schema metrics from public;
    revoke all on all tables in schema metrics from public;
    revoke all on function metrics.refresh_development_metrics(date, date, text) from public;
    if exists (select from pg_roles where rolname = 'service_role') then
        grant usage on schema metrics to service_role;
        grant select, insert, update, delete on all tables in schema metrics to service_role;
        grant usage, select on all sequences in schema metrics to service_role;
        grant execute on function metrics.refresh_development_metrics(date, date, text) to service_role;
    end if;
    if exists (select from pg_roles where rolname = 'authenticated') then
        grant usage on schema metrics to authenticated;
        grant select on all tables in schema metrics to authenticated;
    end if;
    foreach t in array array['pr_events', 'deployment_events', 'test_runs', 'rule_compliance_events',
                             'development_metrics'] loop
        if exists (select from pg_roles where rolname = 'service_role')
           and not exists (select from pg_policies where schemaname = 'metrics' and tablename = t
                           and policyname = 'service role writes') then
            execute format('create policy "service role writes" on metrics.%I for all to service_role '
                           'using (true) with check (true)', t);
        end if;
        if exists (select from pg_roles where rolname = 'authenticated')
           and not exists (select from pg_policies where schemaname = 'metrics' and tablename = t
                           and policyname = 'authenticated reads') then
            execute format('create policy "authenticated reads" on metrics.%I for select to authenticated '
                           'using (true)', t);
        end if;
    end loop;
end
$$;
