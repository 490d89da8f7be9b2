"""IP networking arithmetic with the stdlib `ipaddress` module: subnets, membership, ranges and PTR names."""

import ipaddress

from ._common import need


def _net(cidr: str, name: str = "cidr"):
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{name} must be a network in CIDR notation such as 192.168.1.0/24, got {cidr!r}") from None


def _ip(address: str, name: str = "address"):
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        raise ValueError(f"{name} must be an IPv4 or IPv6 address, got {address!r}") from None


def cidr_info(cidr: str) -> dict:
    """Facts about a network: network and broadcast address, netmask, usable hosts and their range.

    Args:
        cidr: The network in CIDR notation, e.g. 10.0.8.0/22.
    """
    net = _net(cidr)
    hosts = net.num_addresses - 2 if net.version == 4 and net.prefixlen < 31 else net.num_addresses
    first = net.network_address + (1 if net.version == 4 and net.prefixlen < 31 else 0)
    last = (net.broadcast_address - (1 if net.version == 4 and net.prefixlen < 31 else 0))
    return {"network": str(net.network_address), "broadcast": str(net.broadcast_address), "netmask": str(net.netmask),
            "prefix": net.prefixlen, "usable_hosts": hosts, "first_host": str(first), "last_host": str(last)}


def ip_in_network(address: str, cidr: str) -> bool:
    """Whether an IP address belongs to a network.

    Args:
        address: The IP address.
        cidr: The network in CIDR notation.
    """
    ip, net = _ip(address), _net(cidr)
    need(ip.version == net.version, "the address and the network are different IP versions")
    return ip in net


def split_subnet(cidr: str, new_prefix: int) -> list[str]:
    """Split a network into equal subnets with a longer prefix (at most 64 subnets are listed).

    Args:
        cidr: The network to split, in CIDR notation.
        new_prefix: Prefix length of the subnets, longer than the network's own.
    """
    net = _net(cidr)
    need(net.prefixlen < new_prefix <= net.max_prefixlen,
         f"new_prefix must be between {net.prefixlen + 1} and {net.max_prefixlen}, got {new_prefix}")
    need(new_prefix - net.prefixlen <= 6, "that would make more than 64 subnets")
    return [str(s) for s in net.subnets(new_prefix=new_prefix)]


def ip_to_integer(address: str) -> int:
    """The integer value of an IP address.

    Args:
        address: The IP address.
    """
    return int(_ip(address))


def reverse_dns_name(address: str) -> str:
    """The reverse-DNS (PTR) name of an IP address, e.g. 4.3.2.1.in-addr.arpa.

    Args:
        address: The IP address.
    """
    return _ip(address).reverse_pointer


def summarize_range(first: str, last: str) -> list[str]:
    """The smallest list of CIDR networks exactly covering a range of IPv4 addresses.

    Args:
        first: The first address of the range.
        last: The last address of the range (not before first).
    """
    a, b = _ip(first, "first"), _ip(last, "last")
    need(a.version == b.version == 4 and int(b) >= int(a), "first and last must be IPv4 addresses, first <= last")
    return [str(n) for n in ipaddress.summarize_address_range(a, b)]  # pyright: ignore[reportArgumentType]


FUNCTIONS = [cidr_info, ip_in_network, split_subnet, ip_to_integer, reverse_dns_name, summarize_range]
