-- The master lease (ha-dr, docs/ha.md "Master election"): one row. A standby takes it only when it has
-- expired by the database's clock, with a compare-and-set on epoch; each taking bumps epoch, the fencing
-- token the active master attaches to its writes and agent calls. (Copied from ha-dr/src/main/resources/ha/db; keep the two the same.)
CREATE TABLE ha_master_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      VARCHAR(255),
    epoch       BIGINT NOT NULL CHECK (epoch >= 0),
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    acquired_at TIMESTAMP WITH TIME ZONE
);

-- Epoch 0, expired long ago: the first master to ask takes epoch 1.
INSERT INTO ha_master_lease (id, holder, epoch, expires_at) VALUES (1, NULL, 0, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00');
