//! Workers mode's shared memory: the region every process of a tree maps
//! (`region`), the records each process appends there (`records`), one
//! process' writing side (`writer`), the parent's reading side (`reader`)
//! and the tree's agreement on gauge aggregations (`families`).

pub(crate) mod families;
pub(crate) mod reader;
pub(crate) mod records;
pub(crate) mod region;
pub(crate) mod writer;

pub(crate) use region::Region;
pub(crate) use writer::{Cells, Writer};
