/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio.h - what the guest's virtio driver needs from the virtio 1.2 spec:
 * device status bits and feature bits (2.1, 2.2, 6), the split virtqueue
 * layout (2.7), the virtio-pci capability and common configuration layout
 * (4.1.4) and the virtio-net header and config (5.1).  Constants and layouts
 * only: vpci.c (transport), virtq.c (rings) and vnet.c (the net device) use
 * them.  Everything is little-endian, which is what x86 is.
 */
#ifndef FERRY_GUEST_VIRTIO_H
#define FERRY_GUEST_VIRTIO_H

#include "guest.h"

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Feature bits (5.1.3 and 6). */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BIT(b) (1ULL << (b))

/* PCI IDs (4.1.2.1): modern-only virtio-net is 0x1040 + device type 1. */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_NET 0x1041

/* struct virtio_pci_cap (4.1.4): offsets in config space from the cap start. */
#define VPCI_CAP_CFG_TYPE 3
#define VPCI_CAP_BAR 4
#define VPCI_CAP_OFFSET 8
#define VPCI_CAP_LENGTH 12
#define VPCI_CAP_NOTIFY_MULT 16 /* notify cap only: notify_off_multiplier */
#define VPCI_CAP_MIN_LEN 16

/* cfg_type values (4.1.4). */
#define VPCI_CAP_COMMON 1
#define VPCI_CAP_NOTIFY 2
#define VPCI_CAP_ISR 3
#define VPCI_CAP_DEVICE 4

/* struct virtio_pci_common_cfg (4.1.4.3): byte offsets. */
#define VPCI_DFSELECT 0x00 /* le32 device_feature_select */
#define VPCI_DF 0x04 /* le32 device_feature */
#define VPCI_GFSELECT 0x08 /* le32 driver_feature_select */
#define VPCI_GF 0x0c /* le32 driver_feature */
#define VPCI_MSIX_CONFIG 0x10 /* le16 config_msix_vector */
#define VPCI_NUM_QUEUES 0x12 /* le16 */
#define VPCI_STATUS 0x14 /* u8 device_status */
#define VPCI_CFG_GEN 0x15 /* u8 config_generation */
#define VPCI_Q_SELECT 0x16 /* le16 */
#define VPCI_Q_SIZE 0x18 /* le16 */
#define VPCI_Q_MSIX 0x1a /* le16 queue_msix_vector */
#define VPCI_Q_ENABLE 0x1c /* le16 */
#define VPCI_Q_NOTIFY_OFF 0x1e /* le16 */
#define VPCI_Q_DESC 0x20 /* le64 */
#define VPCI_Q_DRIVER 0x28 /* le64: the available ring */
#define VPCI_Q_DEVICE 0x30 /* le64: the used ring */
#define VPCI_COMMON_LEN 0x38

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* Split virtqueue (2.7). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_MAX_SIZE 32768

struct virtq_desc {
	uint64_t addr; /* guest-physical buffer address */
	uint32_t len; /* buffer bytes */
	uint16_t flags; /* VIRTQ_DESC_F_* */
	uint16_t next; /* next descriptor with F_NEXT */
};

struct virtq_avail {
	uint16_t flags; /* VIRTQ_AVAIL_F_NO_INTERRUPT (ignored by the device with EVENT_IDX) */
	uint16_t idx; /* where the driver puts the next entry (free-running) */
	uint16_t ring[]; /* descriptor heads; then le16 used_event */
};

struct virtq_used_elem {
	uint32_t id; /* head of the chain the device used */
	uint32_t len; /* bytes the device wrote into it */
};

struct virtq_used {
	uint16_t flags; /* VIRTQ_USED_F_NO_NOTIFY (ignored by the driver with EVENT_IDX) */
	uint16_t idx; /* where the device puts the next entry (free-running) */
	struct virtq_used_elem ring[]; /* then le16 avail_event */
};

/*
 * 2.7.10: with EVENT_IDX, notify when @new_idx has moved past @event since
 * @old (all free-running 16-bit indices).
 */
static inline bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* virtio-net (5.1). */
#define VNET_RX_QUEUE 0 /* receiveq1 */
#define VNET_TX_QUEUE 1 /* transmitq1 */

/* struct virtio_net_hdr with VERSION_1: num_buffers is always there (5.1.6). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio 1.2, 5.1.6");

/* struct virtio_net_config (5.1.4): mac[6] is first. */
#define VNET_CFG_MAC 0

#endif
