{#- Fails for each row where the first column is after the second (nulls pass). -#}
{% test ordered(model, before, after, strictly=false) %}
select {{ before }}, {{ after }}
from {{ model }}
where {{ before }} is not null and {{ after }} is not null
    and {{ before }} {{ '>=' if strictly else '>' }} {{ after }}
{% endtest %}
