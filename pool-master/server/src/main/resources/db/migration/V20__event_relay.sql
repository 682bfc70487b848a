-- Where each relay of the event table stands: the last event id its destination acknowledged
-- (KafkaEventBus: 'kafka:atoll.events'). A master that restarts sends on from there, so Kafka
-- misses no event committed while a broker was down or while the master stopped.
create table event_relay (
    name varchar(200) primary key,
    last_id bigint not null
);
