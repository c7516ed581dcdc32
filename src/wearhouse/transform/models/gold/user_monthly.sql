-- One row per user per calendar month (month is its first day).
{{ rollup_user_days('month', "cast(date_trunc('month', day) as date)") }}
