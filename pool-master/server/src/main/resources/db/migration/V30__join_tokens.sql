-- Join tokens: a pool-admin creates one (POST /api/v1/pool/join-tokens), and a host presents it to
-- join by itself (POST /api/v1/hosts/join, `atoll host join`). Only the SHA-256 of the token is
-- kept, as for auth_token. uses_left is decremented in the transaction that records the host.
create table join_token (
    uuid       uuid primary key,
    token_hash varchar(64) not null,
    created_by varchar(64),
    created_at timestamp with time zone not null,
    expires_at timestamp with time zone not null,
    uses       integer not null,
    uses_left  integer not null,
    constraint join_token_hash_unique unique (token_hash),
    constraint join_token_uses check (uses >= 1 and uses_left >= 0 and uses_left <= uses)
);

-- The identity the host's agent reports (its host-uuid file). Hosts joined from now on have it
-- equal to their uuid; a host joined before agents reported one learns it at its next poll. A poll
-- that finds another identity at the address marks the host UNREACHABLE.
alter table host add column agent_host_uuid uuid;
alter table host add constraint host_agent_host_uuid_unique unique (agent_host_uuid);
