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

{#- True when the (user, day) pair is one this run recomputes. -#}
{% macro is_affected(user_expr, day_expr) -%}
    ({{ user_expr }}, {{ day_expr }}) in (
        select affected.user_id, affected.day from {{ ref('int_affected_user_days') }} as affected
    )
{%- endmacro %}

{#-
  Pre-hook of the per-user-day models: drop the rows of the affected user-days, which the model
  then appends again, in the same transaction. `day_expr` is the day of a row of the model.
-#}
{% macro delete_affected_user_days(day_expr='day') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    where exists (
        select 1 from {{ ref('int_affected_user_days') }} as affected
        where affected.user_id = target.user_id and affected.day = {{ day_expr }}
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
