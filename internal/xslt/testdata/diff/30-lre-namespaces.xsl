<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:drop="urn:drop" exclude-result-prefixes="drop">
<xsl:template match="/"><out:root xmlns:out="urn:out" xmlns:keep="urn:keep"><out:child><plain/></out:child><keep:x/></out:root></xsl:template>
</xsl:stylesheet>
