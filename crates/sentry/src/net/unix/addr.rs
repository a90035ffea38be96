//! Unix socket addresses (`struct sockaddr_un`): filesystem names, the
//! abstract namespace (a name whose first byte is NUL) and the unnamed
//! address, with Linux's length rules.

use crate::net::AF_UNIX;
use abi::Errno;

/// offsetof(struct sockaddr_un, sun_path).
pub const PATH_OFFSET: usize = 2;
/// sizeof(struct sockaddr_un).
pub const SOCKADDR_UN_LEN: usize = 110;

/// A bound name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnixAddr {
    /// A filesystem name, as the binder spelled it.
    Path(Vec<u8>),
    /// An abstract name: the bytes after the leading NUL.
    Abstract(Vec<u8>),
}

/// What a socket address given to bind or connect asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requested {
    /// bind with only the family: pick a free abstract name.
    Autobind,
    Addr(UnixAddr),
}

fn family(buf: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes([*buf.first()?, *buf.get(1)?]))
}

/// Parse `buf` (the caller's bytes, exactly addrlen of them) as bind(2)
/// does: the family alone autobinds; otherwise Linux's unix_validate_addr.
pub fn parse_bind(buf: &[u8]) -> Result<Requested, Errno> {
    if buf.len() == PATH_OFFSET && family(buf) == Some(AF_UNIX) {
        return Ok(Requested::Autobind);
    }
    parse(buf).map(Requested::Addr)
}

/// Parse an address to connect or send to.
pub fn parse(buf: &[u8]) -> Result<UnixAddr, Errno> {
    if buf.len() <= PATH_OFFSET || buf.len() > SOCKADDR_UN_LEN {
        return Err(Errno::EINVAL);
    }
    if family(buf) != Some(AF_UNIX) {
        return Err(Errno::EINVAL);
    }
    let path = buf.get(PATH_OFFSET..).unwrap_or(&[]);
    match path.split_first() {
        Some((0, name)) => Ok(UnixAddr::Abstract(name.to_vec())),
        _ => {
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            Ok(UnixAddr::Path(path.get(..end).unwrap_or(&[]).to_vec()))
        }
    }
}

impl UnixAddr {
    /// The address as getsockname returns it: the family, then the path
    /// with its NUL, or the NUL and the abstract name (its length is the
    /// address length).
    pub fn to_sockaddr(&self) -> Vec<u8> {
        let mut v = AF_UNIX.to_ne_bytes().to_vec();
        match self {
            UnixAddr::Path(p) => {
                v.extend_from_slice(p);
                v.push(0);
            }
            UnixAddr::Abstract(n) => {
                v.push(0);
                v.extend_from_slice(n);
            }
        }
        v
    }
}

/// What an unnamed socket reports: the family only.
pub fn unnamed_sockaddr() -> Vec<u8> {
    AF_UNIX.to_ne_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(path: &[u8]) -> Vec<u8> {
        let mut v = vec![1u8, 0];
        v.extend_from_slice(path);
        v
    }

    #[test]
    fn parses_like_linux() {
        assert_eq!(parse_bind(&[1, 0]), Ok(Requested::Autobind));
        assert_eq!(parse(&[1, 0]), Err(Errno::EINVAL));
        assert_eq!(parse(&[2, 0, b'a']), Err(Errno::EINVAL));
        assert_eq!(parse(&sa(b"/x\0junk")), Ok(UnixAddr::Path(b"/x".to_vec())));
        assert_eq!(parse(&sa(b"rel")), Ok(UnixAddr::Path(b"rel".to_vec())));
        assert_eq!(
            parse(&sa(b"\0ab\0c")),
            Ok(UnixAddr::Abstract(b"ab\0c".to_vec()))
        );
        assert_eq!(parse(&sa(&[b'a'; 108])).map(|_| ()), Ok(()));
        assert_eq!(parse(&sa(&[b'a'; 109])), Err(Errno::EINVAL));
    }

    #[test]
    fn sockaddr_lengths() {
        assert_eq!(UnixAddr::Path(b"/a".to_vec()).to_sockaddr().len(), 5);
        assert_eq!(UnixAddr::Abstract(b"xy".to_vec()).to_sockaddr().len(), 5);
        assert_eq!(unnamed_sockaddr().len(), 2);
    }
}
