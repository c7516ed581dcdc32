{#- ISO 8601 text (offset honoured, none means UTC) or epoch seconds, to a UTC timestamp; null if neither. -#}
{% macro parse_ts(expr) -%}
    {{ return(adapter.dispatch('parse_ts', 'wearhouse')(expr)) }}
{%- endmacro %}

{% macro default__parse_ts(expr) -%}
    coalesce(to_timestamp(try_cast({{ expr }} as double)), try_cast({{ expr }} as timestamptz))
{%- endmacro %}

{#- Whole years between a birth date and a day: the age on that day. -#}
{% macro age_years(dob, day) -%}
    {{ return(adapter.dispatch('age_years', 'wearhouse')(dob, day)) }}
{%- endmacro %}

{% macro default__age_years(dob, day) -%}
    cast(date_part('year', age({{ day }}, {{ dob }})) as integer)
{%- endmacro %}

{#- DESIGN.md section 5: under 18, 18-25, ..., 85-95, 95+; lower bound inclusive. -#}
{% macro age_group(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 18 then 'under 18'
        when {{ age }} < 25 then '18-25'
        when {{ age }} < 35 then '25-35'
        when {{ age }} < 45 then '35-45'
        when {{ age }} < 55 then '45-55'
        when {{ age }} < 65 then '55-65'
        when {{ age }} < 75 then '65-75'
        when {{ age }} < 85 then '75-85'
        when {{ age }} < 95 then '85-95'
        else '95+'
    end
{%- endmacro %}

{#- True when ts is dated further ahead of its ingestion than the tolerance allows. -#}
{% macro too_far_ahead(ts, ingested_at) -%}
    {{ ts }} > {{ ingested_at }} + interval '{{ var("future_tolerance_hours") }} hours'
{%- endmacro %}

{#- Minutes between two timestamps, as a double. -#}
{% macro minutes_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('minutes_between', 'wearhouse')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__minutes_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }})) / 60.0
{%- endmacro %}
