-- The address a host receives live migrations on (its address on the migration network); null:
-- its management address (the agent URL's host).
alter table host add column migration_address varchar(255);
