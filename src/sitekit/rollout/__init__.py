"""Fleet rollout: releases as data, the ring-by-ring plan, and the state of every site."""
