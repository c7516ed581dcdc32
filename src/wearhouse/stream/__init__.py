"""Broker consumers and publishers: NATS JetStream, Redis Streams, RabbitMQ, Kafka (FastStream), MQTT.

Every broker feeds one path (`ingestor.Ingestor`): messages are checked like HTTP bodies, committed
to bronze by the shared group committer, and acknowledged to the broker only after that commit.
"""
