#!/usr/bin/env Rscript
# Golden values for analytics/ from R spdep (Debian: apt-get install r-cran-spdep).
#
#   scripts/spdep-golden.R IN.csv OUT.csv [W|B]
#
# IN.csv: one row per grid, columns id, count, neighbours (the ids of the grid's
# neighbours, separated by spaces; empty for an isolate; self excluded).
# OUT.csv: long format "statistic,id,value", values printed with 17 significant digits:
#   gi_star_z        per grid   spdep::localG on include.self(nb), binary weights
#   local_i          per grid   spdep::localmoran Ii (m2 = Σz²/n)
#   moran_i, moran_expected, moran_var_randomisation, moran_var_normality   (id empty)
# The third argument chooses the Moran weights: W row-standardised (default, as STATS.md)
# or B binary (the weighting of the esda check value). adjust.n = FALSE keeps isolates in
# n, as analytics/moran.cpp does (spdep's default would drop them).

suppressPackageStartupMessages(library(spdep))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2 || length(args) > 3) {
  stop("usage: spdep-golden.R IN.csv OUT.csv [W|B]", call. = FALSE)
}
style <- if (length(args) == 3) args[[3]] else "W"
if (!style %in% c("W", "B")) stop("style must be W or B", call. = FALSE)

input <- read.csv(args[[1]], colClasses = c(id = "character", count = "numeric",
                                             neighbours = "character"))
ids <- input$id
if (anyDuplicated(ids)) stop("duplicate id", call. = FALSE)

# Neighbour ids → 1-based indexes in spdep's nb form (0L alone marks an isolate).
nb <- lapply(seq_along(ids), function(i) {
  names <- strsplit(trimws(input$neighbours[[i]]), "[[:space:]]+")[[1]]
  names <- names[names != ""]
  if (length(names) == 0) return(0L)
  idx <- match(names, ids)
  if (anyNA(idx)) stop("unknown neighbour of ", ids[[i]], call. = FALSE)
  if (i %in% idx) stop(ids[[i]], " lists itself", call. = FALSE)
  sort(as.integer(idx))
})
class(nb) <- "nb"
attr(nb, "region.id") <- ids
nb <- sym.attr.nb(nb)  # contiguity is symmetric; a one-sided list is a caller's slip

x <- input$count
gi <- as.numeric(localG(x, nb2listw(include.self(nb), style = "B", zero.policy = TRUE),
                        zero.policy = TRUE))

lw <- nb2listw(nb, style = style, zero.policy = TRUE)
mt <- moran.test(x, lw, randomisation = TRUE, zero.policy = TRUE, adjust.n = FALSE)
mn <- moran.test(x, lw, randomisation = FALSE, zero.policy = TRUE, adjust.n = FALSE)
li <- localmoran(x, lw, zero.policy = TRUE)[, "Ii"]

fmt <- function(v) sprintf("%.17g", v)
rows <- rbind(
  data.frame(statistic = "gi_star_z", id = ids, value = fmt(gi)),
  data.frame(statistic = "local_i", id = ids, value = fmt(as.numeric(li))),
  data.frame(statistic = c("moran_i", "moran_expected", "moran_var_randomisation",
                           "moran_var_normality"),
             id = "",
             value = fmt(c(mt$estimate[["Moran I statistic"]], mt$estimate[["Expectation"]],
                           mt$estimate[["Variance"]], mn$estimate[["Variance"]])))
)
write.csv(rows, args[[2]], row.names = FALSE, quote = FALSE)
