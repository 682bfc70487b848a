-- Networks as pool objects with what the master allocates (docs/networking.md, "The pool master").
-- V70 is ha-dr's. A network is PRIVATE (a VXLAN overlay: a VNI unique in the pool, an IPv4 subnet
-- disjoint from every other private network's, DHCP slices per host), EXTERNAL (a bridge on a
-- physical interface, the PIF, named per host) or VLAN (a tag on a PIF). Networks made before this
-- migration had a bridge only: they become EXTERNAL on eth0 — check them.
alter table network add column type varchar(16);
update network set type = 'EXTERNAL';
alter table network alter column type set not null;
alter table network add column vni integer;
alter table network add column subnet varchar(18);
alter table network add column dhcp boolean not null default true;
alter table network add column pif varchar(15);
alter table network add column vlan integer;
alter table network add column dst_port integer;
update network set pif = 'eth0';
-- A PRIVATE network's MTU defaults to the underlay's less the VXLAN overhead, which only the host knows.
alter table network alter column mtu drop not null;
alter table network add constraint network_vni_unique unique (vni);
alter table network add constraint network_name_unique unique (name);

-- A network on a host: the host's DHCP slice (an index into the subnet's slices, unique per
-- network), an EXTERNAL/VLAN network's PIF on that host when it differs from the network's, and
-- whether the host has realised it (bridge, tunnel, dnsmasq). Gone with the network or the host.
create table network_host (
    network_uuid uuid not null references network (uuid) on delete cascade,
    host_uuid    uuid not null references host (uuid) on delete cascade,
    slice        integer,
    pif          varchar(15),
    realised     boolean not null,
    reason       varchar(2048),
    primary key (network_uuid, host_uuid),
    constraint network_host_slice_unique unique (network_uuid, slice)
);

-- A VIF's rate limit (kbit/s each way) and the guest's address on it, learnt from the hosts' DHCP leases.
alter table vif add column rate_kbit integer;
alter table vif add column ipv4 varchar(15);
