-- One row per user per ISO week (week_start is the Monday).
{{ rollup_user_days('week_start', "cast(date_trunc('week', day) as date)") }}
