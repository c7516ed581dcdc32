"""The dbt project (staging -> silver -> gold) and the code that runs and publishes it."""
