{#-
  Incremental runs. wearhouse.transform.service points `bronze.<stream>__new` at the bronze files
  committed since the last complete run (at every file on a full refresh), and the incremental
  models below recompute only the user-days listed in int_affected_user_days.
-#}

{#- The bronze rows not yet processed, of the source table `name`. -#}
{% macro new_bronze(name) -%}
    {%- set relation = source('bronze', name) -%}
    {{ relation.schema }}.{{ relation.identifier }}__new
{%- endmacro %}

{#-
  True when the (user, day) pair is one this run recomputes. `ts_expr`, the row's timestamp,
  adds a range on the affected days as literals, so the scan skips row groups of other periods
  (a plain comparison is pushed into the scan; the pair lookup alone reads every row).
  `causes`, a list of int_affected_user_days' flags (new_heart_rate, new_steps, new_sleeps,
  new_workouts, rebuilt), keeps only the days one of them marks: what a model over readings
  depends on. Without it, every affected day counts.
-#}
{% macro is_affected(user_expr, day_expr, ts_expr=none, days_before=0, causes=none) -%}
    {%- if ts_expr is not none %}{{ affected_range(ts_expr, days_before, causes) }} and {% endif -%}
    ({{ user_expr }}, {{ day_expr }}) in (
        select affected.user_id, affected.day from {{ ref('int_affected_user_days') }} as affected
        {%- if causes %}
        where {{ causes | join(' or ') }}
        {%- endif %}
    )
{%- endmacro %}

{#-
  Joins the rows of `relation` (an alias) to int_affected_user_days where their heart-rate minute
  (`ts_column`, a reading's time or a minute) is one this run computes again: on a user-day with
  new readings or in the rebuild range, or among the minutes the sleeps of a changed night cover
  (heart_rate_minutes_from/_to). A join, not a correlated `exists`: DuckDB hashes the few
  affected rows once instead of decorrelating the subquery over every reading. Each row meets at
  most one affected row, (user_id, day) being unique there.
-#}
{% macro join_affected_heart_rate_minutes(relation, ts_column) -%}
    inner join {{ ref('int_affected_user_days') }} as affected
        on affected.user_id = {{ relation }}.user_id
        and affected.day = cast({{ relation }}.{{ ts_column }} as date)
        and {{ relation }}.{{ ts_column }} >= affected.heart_rate_minutes_from
        and {{ relation }}.{{ ts_column }} < affected.heart_rate_minutes_to
    where {{ affected_range(relation ~ '.' ~ ts_column, causes=['new_heart_rate', 'new_sleeps', 'rebuilt']) }}
{%- endmacro %}

{#- `ts_expr` within the affected days, from `days_before` days earlier (false when none is). -#}
{% macro affected_range(ts_expr, days_before=0, causes=none) -%}
    {%- set bounds = [none, none] -%}
    {%- if execute -%}
        {%- set result = run_query(
            "select cast(min(day) - " ~ days_before ~ " as varchar), cast(max(day) + 1 as varchar) from "
            ~ ref('int_affected_user_days') ~ (" where " ~ causes | join(" or ") if causes else "")
        ) -%}
        {%- set bounds = result.rows[0] -%}
    {%- endif -%}
    {%- if bounds[0] is none -%}
    false
    {%- else -%}
    ({{ ts_expr }} >= '{{ bounds[0] }}'::timestamptz and {{ ts_expr }} < '{{ bounds[1] }}'::timestamptz)
    {%- endif -%}
{%- endmacro %}

{#-
  Pre-hook of the per-user-day models: drop the rows of the affected user-days, which the model
  then appends again, in the same transaction. `day_expr` is the day of a row of the model;
  `causes` as for is_affected, and the same as the model reads with.
-#}
{% macro delete_affected_user_days(day_expr='day', ts_expr=none, causes=none) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    where {{ is_affected('target.user_id', day_expr, ts_expr, causes=causes) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of int_heart_rate_minutes: drop the minutes join_affected_heart_rate_minutes reads. -#}
{% macro delete_affected_heart_rate_minutes() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    using {{ ref('int_affected_user_days') }} as affected
    where affected.user_id = target.user_id
        and affected.day = cast(target.minute as date)
        and target.minute >= affected.heart_rate_minutes_from
        and target.minute < affected.heart_rate_minutes_to
        and {{ affected_range('target.minute', causes=['new_heart_rate', 'new_sleeps', 'rebuilt']) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#-
  Ends a model's query. A full refresh stores the table in `column` order, so that DuckDB's
  per-row-group minimum and maximum let an incremental run's lookups of a few days skip the row
  groups of every other period (the key lookup of a merge, the reads of the affected days).
  Incremental runs append a few days at a time, which keeps the order roughly.
-#}
{% macro clustered_by(column) -%}
    {%- if not is_incremental() %}
order by {{ column }}
    {%- endif -%}
{%- endmacro %}
