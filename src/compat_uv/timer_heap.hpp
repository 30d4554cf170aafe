// An intrusive binary min-heap of timers, the shape libuv keeps its timers
// in: nodes live inside the uv_timer_t's private storage, so starting and
// stopping a timer allocates nothing. The tree is complete; the slot of the
// n-th node (1-based) is found from the bits of n below its leading 1
// (0 = go left, 1 = go right), so insert and remove are O(log n) walks.
#pragma once

#include <cstdint>

namespace veloq::uvc {

struct HeapNode {  // links only: swap() exchanges whole HeapNode values
  HeapNode* left;
  HeapNode* right;
  HeapNode* parent;
};

// Less: bool(const HeapNode*, const HeapNode*).
template <class Less>
class TimerHeap {
 public:
  HeapNode* min() const { return root_; }
  bool empty() const { return root_ == nullptr; }
  uint32_t size() const { return count_; }

  void insert(HeapNode* node) {
    node->left = node->right = node->parent = nullptr;
    HeapNode** slot = walk_to(count_ + 1, &node->parent);
    *slot = node;
    ++count_;
    while (node->parent != nullptr && Less{}(node, node->parent)) swap_with_parent(node);
  }

  void remove(HeapNode* node) {
    if (count_ == 0) return;
    HeapNode* last_parent = nullptr;
    HeapNode** last_slot = walk_to(count_, &last_parent);
    HeapNode* last = *last_slot;
    *last_slot = nullptr;
    --count_;
    if (last == node) return;  // the last leaf (or the only node: root_ is now null)
    // The last leaf takes `node`'s place, then moves down or up to its level.
    last->left = node->left;
    last->right = node->right;
    last->parent = node->parent;
    if (last->left != nullptr) last->left->parent = last;
    if (last->right != nullptr) last->right->parent = last;
    replace_in_parent(node, last);
    for (;;) {
      HeapNode* smallest = last;
      if (last->left != nullptr && Less{}(last->left, smallest)) smallest = last->left;
      if (last->right != nullptr && Less{}(last->right, smallest)) smallest = last->right;
      if (smallest == last) break;
      swap_with_parent(smallest);
    }
    while (last->parent != nullptr && Less{}(last, last->parent)) swap_with_parent(last);
  }

 private:
  // The slot of the n-th node (1-based); *parent_out = the node holding it.
  HeapNode** walk_to(uint32_t n, HeapNode** parent_out) {
    uint32_t path = 0;
    int depth = 0;
    for (; n >= 2; n /= 2, ++depth) path = (path << 1) | (n & 1);
    HeapNode** slot = &root_;
    *parent_out = nullptr;
    for (; depth > 0; --depth, path >>= 1) {
      *parent_out = *slot;
      slot = (path & 1) ? &(*slot)->right : &(*slot)->left;
    }
    return slot;
  }

  void replace_in_parent(HeapNode* old_node, HeapNode* new_node) {
    HeapNode* p = new_node->parent;
    if (p == nullptr) root_ = new_node;
    else if (p->left == old_node) p->left = new_node;
    else p->right = new_node;
  }

  // `child` and its parent trade places in the tree.
  void swap_with_parent(HeapNode* child) {
    HeapNode* parent = child->parent;
    const HeapNode saved = *parent;
    *parent = *child;  // parent takes child's children (and a wrong parent, fixed below)
    *child = saved;    // child takes parent's links, one of which points at itself
    parent->parent = child;
    HeapNode* sibling;
    if (child->left == child) {
      child->left = parent;
      sibling = child->right;
    } else {
      child->right = parent;
      sibling = child->left;
    }
    if (sibling != nullptr) sibling->parent = child;
    if (parent->left != nullptr) parent->left->parent = parent;
    if (parent->right != nullptr) parent->right->parent = parent;
    replace_in_parent(parent, child);
  }

  HeapNode* root_ = nullptr;
  uint32_t count_ = 0;
};

}  // namespace veloq::uvc
